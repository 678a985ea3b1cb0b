/**
 * How schedules are shown (`GET /api/projects/:id/schedules`, the project page): as
 * stored, with the defaults filled in and the next time each fires.
 */
import type { JobType } from '../../common/protocol/index.ts';
import { isEnabled, timesOf, zoneOf, type Schedule } from './schedule.ts';

export interface ScheduleView {
  name: string;
  cron: string;
  /** null: the project's default branch. */
  branch: string | null;
  type: JobType;
  params: Record<string, string>;
  enabled: boolean;
  /** The zone the expression is read in (the queen's unless the schedule names one). */
  timezone: string;
  /** Whether `timezone` is the queen's default rather than the schedule's own. */
  queenTimezone: boolean;
  /** ISO time of the next firing; null when disabled (or never due again). */
  nextAt: string | null;
}

export function scheduleView(s: Schedule, now: Date): ScheduleView {
  let nextAt: Date | null = null;
  try {
    nextAt = isEnabled(s) ? timesOf(s).next(now) : null;
  } catch {
    nextAt = null; // stored before a check that refuses it now: the loop skips and logs it
  }
  return {
    name: s.name,
    cron: s.cron,
    branch: s.branch ?? null,
    type: s.type ?? 'TEST',
    params: s.params ?? {},
    enabled: isEnabled(s),
    timezone: zoneOf(s),
    queenTimezone: s.timezone === undefined,
    nextAt: nextAt?.toISOString() ?? null,
  };
}
