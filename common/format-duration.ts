/**
 * A duration in words, the one way Hive writes them: pages and the browser's live
 * counters, the drone's timeout messages and (compact) the commit statuses on forges.
 */

export interface DurationStyle {
  /** "1m 15s" instead of "1 min 15 s", and never below whole seconds: forges show statuses in little room. */
  compact?: boolean;
}

const LONG = { s: ' s', m: ' min', h: ' h' };
const COMPACT = { s: 's', m: 'm', h: 'h' };

/** "850 ms", "12 s", "3 min 4 s", "1 h 2 min" (compact: "0s", "12s", "3m 4s", "1h 2m"); "—" when unknown. */
export function formatDuration(ms: number | null | undefined, style: DurationStyle = {}): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms) || ms < 0) return '—';
  if (ms < 1000 && !style.compact) return `${Math.round(ms)} ms`;
  const unit = style.compact ? COMPACT : LONG;
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}${unit.s}`;
  const m = Math.floor(s / 60);
  if (m < 60) return s % 60 ? `${m}${unit.m} ${s % 60}${unit.s}` : `${m}${unit.m}`;
  const h = Math.floor(m / 60);
  return m % 60 ? `${h}${unit.h} ${m % 60}${unit.m}` : `${h}${unit.h}`;
}
