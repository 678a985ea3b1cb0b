/**
 * What a forge's webhook means to Hive, independent of the forge: `github.ts` and
 * `gitlab.ts` turn their payloads into a `WebhookEvent`; the receiver then finds the
 * project, applies its branch rules and, for a `Trigger`, queues a job.
 */
import type { JobRef, JobTrigger } from '../db/schema.ts';

export type ForgeProvider = 'github' | 'gitlab';

/** How a payload names its repository, to find the Hive project(s) it belongs to. */
export interface RepoIdentity {
  /** `owner/name` (GitHub) or the path with namespace (GitLab). */
  fullName?: string;
  /** Every URL the payload gives for the repository (clone, ssh, web). */
  urls: string[];
}

export type TriggerKind = 'push' | 'tag' | 'pull_request';

/** A change that may build, before the project's rules have had their say. */
export interface Trigger {
  kind: TriggerKind;
  ref: JobRef;
  trigger: Omit<JobTrigger, 'at'>;
  /** The head commit's message, searched for `[skip ci]`; absent when the payload has none. */
  headMessage?: string;
  /** Pull/merge requests: whether it is a draft now, and why this delivery came. */
  draft?: boolean;
  /** `opened`, `synchronize`, `reopened`, `ready_for_review` (GitLab actions mapped to these). */
  action?: 'opened' | 'synchronize' | 'reopened' | 'ready_for_review';
}

export type WebhookEvent =
  | { kind: 'ping' }
  | { kind: 'ignored'; reason: string }
  | { kind: 'trigger'; trigger: Trigger };

/** What a push builds: a tag (fetched by its own refspec) or a branch, at commit `sha`. */
export function pushTarget(isTag: boolean, name: string, sha: string): Pick<Trigger, 'kind' | 'ref'> {
  return isTag
    ? { kind: 'tag', ref: { tag: name, sha, refspec: `+refs/tags/${name}` } }
    : { kind: 'push', ref: { branch: name, sha } };
}

/** A push to something other than a branch or tag (notes, custom refs). */
export const unbuiltRefPush = (ref: string): WebhookEvent => ({ kind: 'ignored', reason: `push to ${ref || 'an unknown ref'} does not build` });

/** A push that deleted its branch or tag: nothing to build. */
export const deletedRefPush = (isTag: boolean, name: string): WebhookEvent => ({ kind: 'ignored', reason: `${isTag ? 'tag' : 'branch'} "${name}" was deleted` });

/** A sha of zeros: the "before" of a created ref, the "after" of a deleted one. */
export const isNullSha = (sha: unknown) => typeof sha === 'string' && /^0+$/.test(sha);

/** Commit messages are stored with the job; a pathological one must not bloat the row. */
export const clip = (text: string | undefined | null, max = 10_000) =>
  typeof text === 'string' && text.length > 0 ? text.slice(0, max) : undefined;
