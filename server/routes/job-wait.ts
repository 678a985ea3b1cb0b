/** `?wait=<s>` on a job (`POST /projects/:id/jobs`, `GET /jobs/:id`): its detail JSON after the wait. */
import type { Context } from 'hono';
import type { Db } from '../db/client.ts';
import { listJobCommands } from '../db/job-log.ts';
import { findJob } from '../db/jobs.ts';
import { mustExist } from '../errors.ts';
import { isFinal } from '../jobs/job-transitions.ts';
import type { ResultWaits } from '../jobs/result-waits.ts';
import { jobDetailView } from './json-views.ts';
import { waitedStatus } from './wait-query.ts';

/** 200 with the job as `GET /jobs/:id` shows it once it has ended; 202 with it as it is when `ms` ran out. */
export async function waitedJobAnswer(c: Context, deps: { db: Db; waits: ResultWaits }, jobId: string, ms: number): Promise<Response> {
  const waited = await deps.waits.job(jobId, ms, c.req.raw.signal);
  // Undefined: the client left (nobody reads this answer) or the job went with its project.
  const job = mustExist(waited?.value ?? (await findJob(deps.db, jobId)), 'Job', jobId);
  return c.json(jobDetailView(job, await listJobCommands(deps.db, job.id)), waitedStatus(waited?.done ?? isFinal(job.status)));
}
