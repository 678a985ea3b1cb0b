/**
 * Which ended jobs still take a drone's events: one the queen reaped as lost (its lease ran
 * out: `errored`) while the drone, away, went on building it. What the drone then reports
 * is recorded as what happened (JobLifecycle.recordLateEvents) rather than thrown away —
 * once: a job whose late result is stored takes nothing more. A job cancelled meanwhile
 * does not take them (the drone is told to stop it instead).
 */
import type { Job } from '../db/jobs.ts';

export function takesLateEvents(job: Pick<Job, 'status' | 'lateResult' | 'cancelRequested'>): boolean {
  return job.status === 'errored' && !job.lateResult && !job.cancelRequested;
}
