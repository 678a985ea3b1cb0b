/**
 * One retention pass: removes the logs of finished jobs past the log retention (keeping
 * each project's newest builds when asked), the webhook deliveries past theirs, and the
 * files uploaded with builds once no build with a kept log refers to them. The
 * job rows stay — status, times, phases, commands with their exit codes — marked with
 * `logPrunedAt` so the API and the UI can say the log was removed rather than show none.
 *
 * The work is cut into small statements with a turn of the event loop between them, so a
 * first pass over years of builds never stalls the queen; it can stop between batches.
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { Db } from '../db/client.ts';
import {
  deleteDeliveriesReceivedBefore, deleteLogChunks, listLogPruneCandidates, markLogsPruned,
} from '../db/retention.ts';
import { deleteUnneededUploads } from '../db/uploads.ts';

export interface RetentionPolicy {
  /** Days a finished job's log is kept; 0 keeps logs forever. */
  logRetentionDays: number;
  /** Each project's newest this many builds keep their logs whatever their age. */
  keepBuilds: number;
  /** Days webhook delivery records are kept; 0 keeps them forever. */
  webhookDeliveryRetentionDays: number;
}

export interface RetentionResult {
  /** Jobs whose logs were removed (and marked). */
  jobs: number;
  /** Log chunk rows deleted. */
  chunks: number;
  /** Webhook delivery records deleted. */
  deliveries: number;
  /** Uploaded files deleted (uploads no build with a kept log refers to; db/uploads.ts). */
  uploads: number;
}

/** Jobs per candidate batch: their chunks are deleted, then they are marked together. */
const JOBS_PER_BATCH = 50;
/** Rows per DELETE statement. */
const ROWS_PER_STATEMENT = 1000;
const DAY_MS = 24 * 60 * 60_000;
/** Files per DELETE: each may be large. */
const UPLOADS_PER_STATEMENT = 20;
/** How old an upload nothing refers to must be before it is removed (its trigger may still be inserting jobs). */
const UPLOAD_GRACE_MS = 60 * 60_000;

export const retentionEnabled = (p: RetentionPolicy) => p.logRetentionDays > 0 || p.webhookDeliveryRetentionDays > 0;

export async function runRetentionPass(
  db: Db,
  policy: RetentionPolicy,
  options: { now?: Date; shouldStop?: () => boolean } = {},
): Promise<RetentionResult> {
  const now = options.now ?? new Date();
  const stop = options.shouldStop ?? (() => false);
  const result: RetentionResult = { jobs: 0, chunks: 0, deliveries: 0, uploads: 0 };
  if (policy.logRetentionDays > 0) {
    const criteria = { finishedBefore: new Date(now.getTime() - policy.logRetentionDays * DAY_MS), keepBuilds: policy.keepBuilds };
    while (!stop()) {
      const jobIds = await listLogPruneCandidates(db, criteria, JOBS_PER_BATCH);
      if (jobIds.length === 0) break;
      // Chunks first, the mark last: a pass cut short (stop, crash) leaves the jobs
      // unmarked, so the next pass picks them up again and finishes the job.
      for (let n = ROWS_PER_STATEMENT; n === ROWS_PER_STATEMENT && !stop();) {
        n = await deleteLogChunks(db, jobIds, ROWS_PER_STATEMENT);
        result.chunks += n;
        await nextTurn();
      }
      if (stop()) break;
      result.jobs += await markLogsPruned(db, jobIds, now);
      await nextTurn();
    }
  }
  if (policy.webhookDeliveryRetentionDays > 0) {
    const before = new Date(now.getTime() - policy.webhookDeliveryRetentionDays * DAY_MS);
    for (let n = ROWS_PER_STATEMENT; n === ROWS_PER_STATEMENT && !stop();) {
      n = await deleteDeliveriesReceivedBefore(db, before, ROWS_PER_STATEMENT);
      result.deliveries += n;
      await nextTurn();
    }
  }
  // Files uploaded with builds go with the logs of the last build that used them, and
  // uploads no build refers to (cut off halfway) after a grace for triggers in progress.
  for (let n = UPLOADS_PER_STATEMENT; n === UPLOADS_PER_STATEMENT && !stop();) {
    n = await deleteUnneededUploads(db, new Date(now.getTime() - UPLOAD_GRACE_MS), UPLOADS_PER_STATEMENT);
    result.uploads += n;
    await nextTurn();
  }
  return result;
}
