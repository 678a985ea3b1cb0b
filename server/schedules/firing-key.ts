/**
 * The dedup key of a schedule's firing, stored on its job (`jobs.dedup_key`, unique per
 * project): a second insert for the same due time — a retry after an error, a queen that
 * died before recording the firing, another queen — fails instead of making a second job.
 * The due time is an instant (ISO, UTC), so a time zone's change of offset cannot make
 * two keys of one due time, nor one key of two.
 */
export function firingDedupKey(schedule: string, dueAt: Date): string {
  return `cron:${schedule}@${dueAt.toISOString()}`;
}
