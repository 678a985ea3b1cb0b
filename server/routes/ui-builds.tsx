/** A build's page, the fragments its live script refreshes, and Cancel / Re-run. */
import type { Hono } from 'hono';
import { BuildRow } from '../../web/components/build-row.tsx';
import { BuildHeader, BuildPage, PhaseList, type BuildPageData } from '../../web/pages/build.tsx';
import { buildPath } from '../../common/urls.ts';
import { buildMatches, findBuildSummary } from '../db/build-lists.ts';
import type { Db } from '../db/client.ts';
import { listJobCommands, logOf } from '../db/job-log.ts';
import { findJob, type Job } from '../db/jobs.ts';
import { findProject } from '../db/projects.ts';
import { listUploadFiles } from '../db/uploads.ts';
import { ConflictError, NotFoundError } from '../errors.ts';
import type { JobControl } from '../jobs/job-control.ts';
import { uuid } from './api-schemas.ts';
import { parseListQuery } from './build-list-query.ts';
import { html, pageContext, type UiEnv } from './ui-render.tsx';
import { requireSession } from './ui-session.ts';
import type { DroneHub } from '../scheduler/drone-hub.ts';
import { QueueView } from '../scheduler/queue-view.ts';

async function jobOr404(db: Db, id: string | undefined): Promise<Job> {
  const job = id && uuid.safeParse(id).success ? await findJob(db, id) : undefined;
  if (!job) throw new NotFoundError('No such build; it may have been deleted with its project');
  return job;
}

async function buildData(db: Db, queue: QueueView, job: Job): Promise<BuildPageData> {
  const rerunOfId = job.trigger.rerunOf;
  const [project, commands, original, waiting] = await Promise.all([
    findProject(db, job.projectId),
    listJobCommands(db, logOf(job)),
    rerunOfId && uuid.safeParse(rerunOfId).success ? findBuildSummary(db, rerunOfId) : undefined,
    job.status === 'queued' ? queue.entry(job.id) : undefined,
  ]);
  if (!project) throw new NotFoundError('No such build; it may have been deleted with its project');
  return {
    job,
    project,
    commands,
    rerunOf: original ? { id: original.id, number: original.number } : undefined,
    waiting: waiting && { position: waiting.position, effectivePriority: waiting.effectivePriority, reason: waiting.reason.text },
    files: job.uploadId ? await listUploadFiles(db, job.uploadId) : undefined,
  };
}

export function registerBuildRoutes(ui: Hono<UiEnv>, deps: { db: Db; control: JobControl; hub: DroneHub }) {
  const { db, control } = deps;
  const queue = new QueueView(deps);
  const auth = requireSession(db);

  ui.get('/builds/:id', auth, async (c) => {
    const data = await buildData(db, queue, await jobOr404(db, c.req.param('id')));
    return html(c, <BuildPage ctx={await pageContext(c)} data={data} />);
  });

  ui.get('/builds/:id/header', auth, async (c) => {
    const data = await buildData(db, queue, await jobOr404(db, c.req.param('id')));
    return html(c, <BuildHeader ctx={await pageContext(c)} data={data} />, 200, false);
  });

  ui.get('/builds/:id/phases', auth, async (c) => {
    const data = await buildData(db, queue, await jobOr404(db, c.req.param('id')));
    return html(c, <PhaseList data={data} />, 200, false);
  });

  /** The build's row for a project list with the given filter; 204 when it does not belong there. */
  ui.get('/builds/:id/row', auth, async (c) => {
    const id = c.req.param('id');
    const build = uuid.safeParse(id).success ? await findBuildSummary(db, id) : undefined;
    if (!build) return c.body(null, 204);
    // A list that groups runs shows a run's builds under the run (ui-runs.tsx), not alone.
    if (c.req.query('grouped') === '1' && build.runId) return c.body(null, 204);
    const q = parseListQuery(c.req.query());
    if ((q.branch || q.status) && !(await buildMatches(db, id, build.projectId, { branch: q.branch, status: q.status }))) {
      return c.body(null, 204);
    }
    return html(c, <BuildRow build={build} />, 200, false);
  });

  ui.post('/builds/:id/cancel', auth, async (c) => {
    const job = await jobOr404(db, c.req.param('id'));
    try {
      await control.cancel(job.id, c.get('session')!.user.username);
    } catch (err) {
      if (!(err instanceof ConflictError)) throw err; // it ended meanwhile: the page shows how
    }
    return c.redirect(buildPath(job.id), 303);
  });

  ui.post('/builds/:id/rerun', auth, async (c) => {
    const job = await jobOr404(db, c.req.param('id'));
    const rerun = await control.rerun(job.id, { source: { type: 'ui' }, author: { username: c.get('session')!.user.username } });
    return c.redirect(buildPath(rerun.id), 303);
  });
}
