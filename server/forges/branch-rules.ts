/**
 * A project's branch rules applied to a trigger: whether it builds, and if not, why —
 * the reason goes back to the forge in the webhook answer and into the delivery record.
 *
 * - Branch pushes build when the branch matches `include` (default: every branch) and
 *   no `exclude` glob. Pull/merge requests are matched by their base (target) branch, as
 *   Drone and Woodpecker do: "build PRs into main" is the usual wish.
 * - Tags build only with `tags: true`; include/exclude do not apply to them.
 * - Pull/merge requests build unless `pullRequests: false`; from forks only with
 *   `forks: true` (and then without secrets); drafts wait for "ready for review" unless
 *   `skipDrafts: false`.
 * - `[skip ci]`, `[ci skip]` (and `[no ci]`) in the head commit message skip the build.
 */
import type { BranchRules } from '../db/schema.ts';
import { branchGlobMatches as globMatches } from '../util/branch-glob.ts';
import type { Trigger } from './trigger.ts';

export type Decision = { build: true } | { build: false; reason: string; skipped?: boolean };

const SKIP_CI = /\[(skip ci|ci skip|no ci)\]/i;

export const wantsSkipCi = (message: string | undefined) => !!message && SKIP_CI.test(message);

export function branchMatches(branch: string, rules: Pick<BranchRules, 'include' | 'exclude'>): boolean {
  const included = !rules.include?.length || rules.include.some((g) => globMatches(g, branch));
  return included && !rules.exclude?.some((g) => globMatches(g, branch));
}

export function decide(trigger: Trigger, rules: BranchRules): Decision {
  const no = (reason: string): Decision => ({ build: false, reason });
  const pr = trigger.ref.pullRequest;
  if (trigger.kind === 'tag') {
    if (!rules.tags) return no(`tag "${trigger.ref.tag}": tag builds are off for this project (branchRules.tags)`);
  } else {
    if (pr) {
      if (rules.pullRequests === false) return no('pull/merge request builds are off for this project (branchRules.pullRequests)');
      if (pr.fork && !rules.forks) return no(`#${pr.number} comes from a fork; fork builds are off for this project (branchRules.forks)`);
      const skipDrafts = rules.skipDrafts !== false;
      if (skipDrafts && trigger.draft) return no(`#${pr.number} is a draft; it builds when marked ready for review`);
      if (!skipDrafts && trigger.action === 'ready_for_review') return no(`#${pr.number} was already built as a draft`);
    }
    const branch = pr ? pr.baseBranch : trigger.ref.branch ?? '';
    if (!branchMatches(branch, rules)) {
      return no(`${pr ? `#${pr.number} targets branch` : 'branch'} "${branch}", which the project's branch rules exclude`);
    }
  }
  if (wantsSkipCi(trigger.headMessage)) return { build: false, skipped: true, reason: '[skip ci] in the commit message' };
  return { build: true };
}
