/**
 * What a change of a project's schedules means for their firings: a schedule that is new,
 * whose cron expression or time zone changed, or that was enabled again starts from the
 * moment of the change — it never fires for a due time of before (a daily build edited at
 * 10:00 from 03:00 to 04:00 must not start at once for today's 04:00 it has "missed").
 * Removed schedules' firings are forgotten.
 */
import type { Db } from '../db/client.ts';
import { deleteOtherFirings, resetBaselines } from '../db/schedule-firings.ts';
import type { Schedule } from './schedule.ts';

/** The names in `after` whose firings start afresh. */
export function restartedSchedules(before: readonly Schedule[], after: readonly Schedule[]): string[] {
  return after
    .filter((s) => {
      const old = before.find((b) => b.name === s.name);
      return !old || old.cron !== s.cron || (old.timezone ?? '') !== (s.timezone ?? '') || (old.enabled === false && s.enabled !== false);
    })
    .map((s) => s.name);
}

/**
 * Records the change in `schedule_firings`. Call it before the project row changes: a
 * schedule loop that reads the project in between then finds the new baseline already.
 */
export async function recordScheduleChanges(db: Db, projectId: string, before: readonly Schedule[], after: readonly Schedule[], now: Date): Promise<void> {
  await resetBaselines(db, projectId, restartedSchedules(before, after), now);
  await deleteOtherFirings(db, projectId, after.map((s) => s.name));
}
