/**
 * A project schedule as stored (`projects.schedules`): the schema's `ScheduleDef` plus the
 * optional time zone its cron expression is read in (jsonb keeps whatever the API
 * validated, so the zone needs no column of its own).
 */
import type { ScheduleDef } from '../db/schema.ts';
import { cronTimes, queenTimeZone, type CronTimes } from './cron-times.ts';

export interface Schedule extends ScheduleDef {
  /** IANA name; default: the queen's time zone. */
  timezone?: string;
}

export const isEnabled = (s: Schedule) => s.enabled !== false;

/** The zone a schedule's times are read in. */
export const zoneOf = (s: Schedule) => s.timezone ?? queenTimeZone();

/** The due times of a schedule (throws CronError for a stored expression that is no longer valid). */
export const timesOf = (s: Schedule): CronTimes => cronTimes(s.cron, s.timezone);
