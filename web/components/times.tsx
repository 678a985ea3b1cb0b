/** Times on pages: relative ("5 min ago") with the exact time on hover; refreshed by live-page.ts. */
import { formatAge, formatDuration, formatTimestamp } from '../format.ts';

export function RelTime({ at }: { at: Date | string | null | undefined }) {
  if (!at) return <span>—</span>;
  const iso = typeof at === 'string' ? at : at.toISOString();
  return <time datetime={iso} title={formatTimestamp(iso)} data-rel="">{formatAge(iso)}</time>;
}

/** A build's duration; a running one counts up in the browser (`data-since`). */
export function BuildDuration({ startedAt, finishedAt }: { startedAt: Date | null; finishedAt: Date | null }) {
  if (!startedAt) return <span>—</span>;
  if (finishedAt) return <span>{formatDuration(finishedAt.getTime() - startedAt.getTime())}</span>;
  return <span data-since={startedAt.toISOString()}>{formatDuration(Date.now() - startedAt.getTime())}</span>;
}
