/**
 * Starts the job a schedule asks for: its branch (default: the project's default branch),
 * type and parameters, with `trigger.source = {type: 'cron', schedule: <name>}` — by the
 * schedule loop when it is due (then with the due time's dedup key: one job per due time),
 * or by a user who runs it now (then with them as author, and no key: each run is a job).
 */
import type { Job } from '../db/jobs.ts';
import type { ScheduledProject } from '../db/schedule-firings.ts';
import type { JobControl, TriggerRequest } from '../jobs/job-control.ts';
import { resolveParams } from '../jobs/job-params.ts';
import { firingDedupKey } from './firing-key.ts';
import type { Schedule } from './schedule.ts';

/**
 * The trigger of a firing. Its params go through `resolveParams` like any trigger's (the
 * project's defaults filled in; a value the parameters no longer allow is a
 * ValidationError, which the loop logs).
 */
export function scheduleTrigger(project: Pick<ScheduledProject, 'defaultBranch' | 'parameters'>, schedule: Schedule, by?: string): TriggerRequest {
  return {
    type: schedule.type ?? 'TEST',
    ref: { branch: schedule.branch ?? project.defaultBranch },
    trigger: { source: { type: 'cron', schedule: schedule.name }, ...(by && { author: { username: by } }) },
    params: resolveParams(project.parameters, schedule.params),
  };
}

/** A user's run of the schedule, now. */
export async function fireSchedule(control: Pick<JobControl, 'trigger'>, project: ScheduledProject, schedule: Schedule, by?: string): Promise<Job> {
  return control.trigger(project, scheduleTrigger(project, schedule, by));
}

/**
 * The schedule's job for its due time `dueAt`; DuplicateJobError when that due time has
 * its job already (the firing happened, its recording did not, or another queen's did).
 */
export async function fireDueSchedule(control: Pick<JobControl, 'trigger'>, project: ScheduledProject, schedule: Schedule, dueAt: Date): Promise<Job> {
  return control.trigger(project, { ...scheduleTrigger(project, schedule), dedupKey: firingDedupKey(schedule.name, dueAt) });
}
