/**
 * The job state machine as data: which status may follow which. `JobLifecycle` checks
 * every change against it, so a transition nobody planned for is a typed error at the
 * call site rather than a row in a state no page or hook expects.
 *
 * | from     | to                                                            |
 * |----------|---------------------------------------------------------------|
 * | queued   | assigned (claimed by a drone), errored (resolution failed), cancelled |
 * | assigned | running, queued (refused, or lost before it started), any final status |
 * | running  | queued (lost drone, project retries), any final status        |
 * | final    | nothing: passed, failed, errored, cancelled, timed_out never change |
 *
 * `assigned → final` happens when a drone's `job:started` and `job:done` are stored in
 * one batch (a fast job), or the queen ends a job whose drone it cannot reach.
 */
import { FINAL_STATUSES, type JobStatus } from '../../common/protocol/index.ts';
import { HiveError } from '../errors.ts';

export const JOB_TRANSITIONS: Readonly<Record<JobStatus, readonly JobStatus[]>> = {
  queued: ['assigned', 'errored', 'cancelled'],
  assigned: ['running', 'queued', ...FINAL_STATUSES],
  running: ['queued', ...FINAL_STATUSES],
  passed: [],
  failed: [],
  errored: [],
  cancelled: [],
  timed_out: [],
};

/** A change of status the state machine does not allow: a bug in the caller. */
export class IllegalTransitionError extends HiveError {
  override readonly status = 409;
  override readonly code = 'illegal_transition';
  constructor(readonly from: JobStatus, readonly to: JobStatus, jobId?: string) {
    super(`A job cannot go from ${from} to ${to}${jobId ? ` (job ${jobId})` : ''}`);
  }
}

export function isFinal(status: JobStatus): boolean {
  return (FINAL_STATUSES as readonly JobStatus[]).includes(status);
}

export function canTransition(from: JobStatus, to: JobStatus): boolean {
  return from === to || JOB_TRANSITIONS[from].includes(to);
}

/** Throws `IllegalTransitionError` unless every status in `from` may become `to`. */
export function assertTransition(from: JobStatus | readonly JobStatus[], to: JobStatus, jobId?: string): void {
  for (const f of typeof from === 'string' ? [from] : from) {
    if (!canTransition(f, to)) throw new IllegalTransitionError(f, to, jobId);
  }
}
