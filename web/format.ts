/** Words and numbers as pages show them; shared by server-rendered pages and client scripts. */
// constants.ts, not the protocol's index: client scripts import this file, and the index brings zod.
import { FINAL_STATUSES } from '../common/protocol/constants.ts';

export { formatDuration } from '../common/format-duration.ts';

/** "just now", "5 min ago", "3 h ago", "2 days ago", then a date. */
export function formatAge(at: Date | string | null | undefined, now = Date.now()): string {
  if (!at) return '—';
  const t = typeof at === 'string' ? Date.parse(at) : at.getTime();
  const s = Math.max(0, Math.round((now - t) / 1000));
  if (s < 45) return 'just now';
  const m = Math.round(s / 60);
  if (m < 60) return `${m} min ago`;
  const h = Math.round(m / 60);
  if (h < 24) return `${h} h ago`;
  const d = Math.round(h / 24);
  if (d < 30) return `${d} day${d === 1 ? '' : 's'} ago`;
  return new Date(t).toISOString().slice(0, 10);
}

/** A timestamp in full, for tooltips: "2024-05-01 12:03:04 UTC". */
export function formatTimestamp(at: Date | string | null | undefined): string {
  if (!at) return '—';
  const d = typeof at === 'string' ? new Date(at) : at;
  return `${d.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

export const shortSha = (sha: string | undefined | null) => (sha ? sha.slice(0, 8) : '');

export const STATUS_LABELS: Record<string, string> = {
  queued: 'queued',
  assigned: 'assigned',
  running: 'running',
  passed: 'passed',
  failed: 'failed',
  errored: 'errored',
  cancelled: 'cancelled',
  timed_out: 'timed out',
  skipped: 'skipped',
  pending: 'pending',
};


const FINAL: ReadonlySet<string> = new Set(FINAL_STATUSES);
export const isFinal = (status: string) => FINAL.has(status);

/**
 * `url` when it is an http(s) URL, else undefined. Forge payloads (commit, compare and pull
 * request URLs) are written by whoever signs the webhook; a `javascript:` or `data:` URL
 * must never become a link.
 */
export function httpUrl(url: string | null | undefined): string | undefined {
  if (typeof url !== 'string' || url.length > 4000) return undefined;
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'http:' || parsed.protocol === 'https:' ? parsed.href : undefined;
  } catch {
    return undefined;
  }
}
