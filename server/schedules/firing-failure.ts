/**
 * What an error from creating a firing's job means for the firing (schedule-loop.ts):
 *
 * - `already-fired`: the due time has its job (DuplicateJobError on its dedup key) — a
 *   queen died after the insert, before recording the firing, or another queen fired it.
 *   The firing is recorded; nothing is created.
 * - `permanent`: the request itself is refused (a HiveError of a 4xx status — the
 *   schedule's params no longer allowed, ValidationError; the project deleted,
 *   NotFoundError). Trying again would fail again: logged, and the due time consumed.
 * - `transient`: anything else (the database away, a connection reset): tried again with
 *   a backoff — the insert's dedup key keeps the retries to one job.
 */
import { DuplicateJobError, HiveError } from '../errors.ts';

export type FiringFailure = 'already-fired' | 'permanent' | 'transient';

export function firingFailure(err: unknown): FiringFailure {
  if (err instanceof DuplicateJobError) return 'already-fired';
  if (err instanceof HiveError && err.status >= 400 && err.status < 500) return 'permanent';
  return 'transient';
}
