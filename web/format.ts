/** Words and numbers as pages show them; shared by server-rendered pages and client scripts. */

/** "850 ms", "12 s", "3 min 4 s", "1 h 2 min". */
export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms) || ms < 0) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return s % 60 ? `${m} min ${s % 60} s` : `${m} min`;
  const h = Math.floor(m / 60);
  return m % 60 ? `${h} h ${m % 60} min` : `${h} h`;
}

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


export const FINAL = new Set(['passed', 'failed', 'errored', 'cancelled', 'timed_out']);
export const isFinal = (status: string) => FINAL.has(status);
