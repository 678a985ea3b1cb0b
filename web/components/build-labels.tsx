/** How a build's ref, commit and trigger read in lists and headers. */
import type { JobRef, JobTrigger } from '../../server/db/schema.ts';
import { httpUrl, shortSha } from '../format.ts';

export function RefLabel({ ref }: { ref: JobRef }) {
  if (ref.pullRequest) {
    const pr = ref.pullRequest;
    const text = `PR #${pr.number}${pr.headBranch ? ` (${pr.headBranch} → ${pr.baseBranch})` : ` → ${pr.baseBranch}`}`;
    const url = httpUrl(pr.url);
    return url ? <a href={url} rel="noreferrer">{text}</a> : <span>{text}</span>;
  }
  if (ref.tag) return <span>tag {ref.tag}</span>;
  if (ref.branch) return <span class="branch">{ref.branch}</span>;
  if (ref.refspec) return <code>{ref.refspec}</code>;
  return <span>—</span>;
}

export function CommitLabel({ ref, trigger }: { ref: JobRef; trigger: JobTrigger }) {
  if (!ref.sha) return <span class="muted">not resolved yet</span>;
  const sha = <code title={ref.sha}>{shortSha(ref.sha)}</code>;
  const url = httpUrl(trigger.commitUrl);
  return url ? <a href={url} rel="noreferrer">{sha}</a> : sha;
}

const SOURCE_WORDS: Record<string, string> = { api: 'API', ui: 'web UI', cli: 'CLI', webhook: 'webhook', rerun: 're-run', cron: 'scheduled' };

/** "web UI by admin", "webhook (github) by alice", "scheduled (nightly)". */
export function triggerText(trigger: JobTrigger): string {
  const source = SOURCE_WORDS[trigger.source.type] ?? trigger.source.type;
  const detail = trigger.source.type === 'cron' ? trigger.source.schedule : trigger.source.provider;
  const via = detail ? `${source} (${detail})` : source;
  const who = trigger.author?.username ?? trigger.author?.name;
  return who ? `${via} by ${who}` : via;
}

/** The first line of the commit or trigger message, for lists. */
export const firstLine = (text: string | undefined | null, max = 100) => {
  const line = (text ?? '').split('\n', 1)[0].trim();
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
};
