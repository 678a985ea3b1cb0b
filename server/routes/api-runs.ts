/**
 * Runs in the REST API: `POST /projects/:id/runs` (a trigger's fields plus `times`),
 * `GET /projects/:id/runs` (paged), `GET /runs/:id`, `POST /runs/:id/cancel`,
 * `POST /runs/:id/rerun`. The POST that makes a run and `GET /runs/:id` take `?wait=<s>`
 * (wait-query.ts): 200 with the final run, or 202 with it as it stands when time is up.
 */
import { Hono, type Context } from 'hono';
import { z } from 'zod';
import type { Db } from '../db/client.ts';
import { findProject } from '../db/projects.ts';
import { findRun, listJobsOfRuns, listProjectRuns, listRunJobs, type Run } from '../db/runs.ts';
import { mustExist, ValidationError } from '../errors.ts';
import type { ResultWaits } from '../jobs/result-waits.ts';
import type { RunControl } from '../jobs/run-control.ts';
import { describeZodError } from '../jobs/repo-config.ts';
import { triggerRunBody, uuid } from './api-schemas.ts';
import type { AuthVariables } from './auth-middleware.ts';
import { idParam } from './request-input.ts';
import { readProjectTrigger, uploadLimitsOf } from './trigger-input.ts';
import { runView } from './run-view.ts';
import { waitMs } from './wait-query.ts';
import { isFinalRunStatus } from '../../common/run-status.ts';

export interface RunRouteDeps {
  db: Db;
  runs: RunControl;
  waits: ResultWaits;
  /** What a trigger may send (trigger-input.ts). */
  maxUploadBytes?: number;
  maxBodyBytes?: number;
}

const runListQuery = z.object({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  /** The id of the last run of the previous page (`next` of its answer). */
  before: uuid.optional(),
});

/** Whether the request comes from the CLI (it says so) or another API client. */
const triggerSource = (c: Context): 'cli' | 'api' => (c.req.header('x-hive-client') === 'cli' ? 'cli' : 'api');

export function runRoutes(deps: RunRouteDeps) {
  const { db, runs, waits } = deps;
  const api = new Hono<{ Variables: AuthVariables }>();

  const current = async (id: string) => {
    const run = mustExist(await findRun(db, id), 'Run', id);
    return runView(run, await listRunJobs(db, id));
  };

  /**
   * The run's JSON now (`status`), or after waiting as `?wait` asks: 200 once it has ended,
   * 202 while it has not. A client that leaves stops the wait, never the run.
   */
  const answer = async (c: Context, run: Run, ms: number | undefined, status: 200 | 201) => {
    if (ms === undefined) return c.json(await current(run.id), status);
    await waits.run(run.id, ms, c.req.raw.signal);
    const view = await current(run.id);
    return c.json(view, isFinalRunStatus(view.status) ? 200 : 202);
  };

  api.post('/projects/:id/runs', async (c) => {
    const id = idParam(c, 'Project');
    const ms = waitMs(c); // a bad ?wait is refused before anything is queued
    // JSON, or multipart with files, as for one job (trigger-input.ts); all the run's jobs share them.
    const project = mustExist(await findProject(db, id), 'Project', id);
    const { body, params, upload, discard } = await readProjectTrigger(c, triggerRunBody, { db, project, limits: uploadLimitsOf(deps) });
    const run = await runs.create(id, {
      type: body.type,
      ref: { branch: body.branch, sha: body.sha },
      trigger: { source: { type: triggerSource(c) }, author: { username: c.get('actor') }, message: body.message },
      priority: body.priority,
      times: body.times,
      params,
      uploadId: upload?.uploadId,
    }).catch(async (err) => {
      await discard();
      throw err;
    });
    return answer(c, run, ms, 201);
  });

  api.get('/projects/:id/runs', async (c) => {
    const id = idParam(c, 'Project');
    const query = runListQuery.safeParse(c.req.query());
    if (!query.success) throw new ValidationError(describeZodError(query.error));
    mustExist(await findProject(db, id), 'Project', id);
    const rows = await listProjectRuns(db, id, { limit: query.data.limit + 1, before: query.data.before });
    const page = rows.slice(0, query.data.limit);
    const jobs = await listJobsOfRuns(db, page.map((r) => r.id));
    const next = rows.length > query.data.limit ? page[page.length - 1].id : null;
    return c.json({ runs: page.map((r) => runView(r, jobs.filter((j) => j.runId === r.id))), next });
  });

  api.get('/runs/:id', async (c) => {
    const id = idParam(c, 'Run');
    const ms = waitMs(c);
    return answer(c, mustExist(await findRun(db, id), 'Run', id), ms, 200);
  });

  api.post('/runs/:id/cancel', async (c) => {
    const run = await runs.cancel(idParam(c, 'Run'), c.get('actor'));
    return c.json(await current(run.id));
  });

  api.post('/runs/:id/rerun', async (c) => {
    const run = await runs.rerun(idParam(c, 'Run'), { source: { type: triggerSource(c) }, author: { username: c.get('actor') } });
    return c.json(await current(run.id), 201);
  });

  return api;
}
