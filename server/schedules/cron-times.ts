/**
 * When a cron expression is due, through croner (a maintained library without
 * dependencies): five fields (minute hour day-of-month month day-of-week), or six with
 * seconds first; names (`MON-FRI`, `JAN`), steps, ranges, lists, `L`, `W`, `#` and the
 * nicknames `@hourly`, `@daily`, `@weekly`, `@monthly`, `@yearly`. Day of month and day
 * of week combine with OR, as in Vixie cron. Times are read in an IANA time zone — the
 * schedule's own, or the queen's (`TZ`) when it names none.
 */
import { Cron } from 'croner';
import { ValidationError } from '../errors.ts';

/** A cron expression or time zone that cannot be used (400); the message says why. */
export class CronError extends ValidationError {}

/** The time zone of this process (its `TZ`), which schedules without a zone of their own use. */
export const queenTimeZone = (): string => Intl.DateTimeFormat().resolvedOptions().timeZone;

export interface CronTimes {
  /** The first due time strictly after `after`, or null when it never comes again. */
  next(after: Date): Date | null;
  /** The last due time at or before `at`, or null when there was none. */
  latest(at: Date): Date | null;
}

/** Throws CronError unless `zone` is an IANA time zone this Node.js knows. */
export function checkTimeZone(zone: string): void {
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
  } catch (cause) {
    throw new CronError(`"${zone}" is not a time zone (use an IANA name such as "UTC" or "Europe/Berlin")`, { cause });
  }
}

/**
 * The due times of `expression` in `timeZone` (default: the queen's). Throws CronError
 * for an expression croner refuses, a wrong number of fields, an unknown time zone, or
 * one that can never be due (`0 0 30 2 *`), which is a mistake rather than a schedule.
 */
export function cronTimes(expression: string, timeZone?: string): CronTimes {
  if (timeZone !== undefined) checkTimeZone(timeZone);
  const fields = expression.trim().split(/\s+/);
  if (!fields[0]?.startsWith('@') && fields.length !== 5 && fields.length !== 6) {
    throw new CronError(`"${expression}" has ${fields.length} field${fields.length === 1 ? '' : 's'}; a cron expression has five (minute hour day month weekday) or six (seconds first)`);
  }
  let cron: Cron;
  try {
    // No callback: croner computes times only and never starts a timer of its own.
    cron = new Cron(expression.trim(), { mode: '5-or-6-parts', timezone: timeZone });
  } catch (cause) {
    const why = (cause as Error).message.replace(/^CronPattern: /, '');
    throw new CronError(`"${expression}" is not a valid cron expression: ${why}`, { cause });
  }
  const times: CronTimes = {
    next: (after) => cron.nextRun(after),
    // Due times are whole seconds and croner's look-back excludes the reference itself, so
    // looking back from a millisecond later includes a due time equal to `at`.
    latest: (at) => cron.previousRuns(1, new Date(at.getTime() + 1))[0] ?? null,
  };
  if (!times.next(new Date())) throw new CronError(`"${expression}" is never due (no such date)`);
  return times;
}
