/** A project schedule as stored (`projects.schedules`), with the time zone its cron expression is read in. */
import type { ScheduleDef } from '../db/schema.ts';
import { cronTimes, queenTimeZone, type CronTimes } from './cron-times.ts';

export type Schedule = ScheduleDef;

export const isEnabled = (s: Schedule) => s.enabled !== false;

/** The zone a schedule's times are read in. */
export const zoneOf = (s: Schedule) => s.timezone ?? queenTimeZone();

/** The due times of a schedule (throws CronError for a stored expression that is no longer valid). */
export const timesOf = (s: Schedule): CronTimes => cronTimes(s.cron, s.timezone);
