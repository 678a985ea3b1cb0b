/** A run's page, the fragments its live script and the project list refresh, and Cancel / Re-run. */
import type { Hono } from 'hono';
import { RunRows, type RunRowsData } from '../../web/components/run-rows.tsx';
import { RunBody, RunPage, type RunPageData } from '../../web/pages/run.tsx';
import { runPath } from '../../common/urls.ts';
import type { Db } from '../db/client.ts';
import { findProject } from '../db/projects.ts';
import type { BuildPage } from '../db/build-lists.ts';
import { findRunGroup, listGroupedBuilds } from '../db/run-lists.ts';
import { findRun, listRunJobs, type Run } from '../db/runs.ts';
import { ConflictError, NotFoundError } from '../errors.ts';
import type { RunControl } from '../jobs/run-control.ts';
import { uuid } from './api-schemas.ts';
import { runView } from './run-view.ts';
import { html, pageContext, type UiEnv } from './ui-render.tsx';
import { requireSession } from './ui-session.ts';

const GONE = 'No such run; it may have been deleted with its project';

async function runOr404(db: Db, id: string | undefined): Promise<Run> {
  const run = id && uuid.safeParse(id).success ? await findRun(db, id) : undefined;
  if (!run) throw new NotFoundError(GONE);
  return run;
}

async function runData(db: Db, run: Run): Promise<RunPageData> {
  const [project, jobs] = await Promise.all([findProject(db, run.projectId), listRunJobs(db, run.id)]);
  if (!project) throw new NotFoundError(GONE);
  return { project, run: runView(run, jobs) };
}

/** A project's unfiltered list: runs grouped (run-lists.ts), each with its summary for RunRows. */
export async function groupedBuildPage(
  db: Db, projectId: string, page: { limit: number; before?: number; after?: number },
): Promise<BuildPage & { runs: Map<string, RunRowsData> }> {
  const grouped = await listGroupedBuilds(db, projectId, page);
  const runs = new Map([...grouped.runs].map(([id, g]) => [id, { run: runView(g.run, g.jobs), lead: g.lead }]));
  return { ...grouped, runs };
}

export function registerRunRoutes(ui: Hono<UiEnv>, deps: { db: Db; runs: RunControl }) {
  const { db, runs } = deps;
  const auth = requireSession(db);

  ui.get('/runs/:id', auth, async (c) => {
    const data = await runData(db, await runOr404(db, c.req.param('id')));
    return html(c, <RunPage ctx={await pageContext(c)} data={data} />);
  });

  ui.get('/runs/:id/body', auth, async (c) => {
    const data = await runData(db, await runOr404(db, c.req.param('id')));
    return html(c, <RunBody ctx={await pageContext(c)} data={data} />, 200, false);
  });

  /** The run's rows for its project's list (unfiltered), its builds folded (run-rows.ts keeps them as the page has them). */
  ui.get('/runs/:id/rows', auth, async (c) => {
    const id = c.req.param('id');
    const group = uuid.safeParse(id).success ? await findRunGroup(db, id) : undefined;
    if (!group) return c.body(null, 204);
    return html(c, <RunRows run={runView(group.run, group.jobs)} lead={group.lead} />, 200, false);
  });

  ui.post('/runs/:id/cancel', auth, async (c) => {
    const run = await runOr404(db, c.req.param('id'));
    try {
      await runs.cancel(run.id, c.get('session')!.user.username);
    } catch (err) {
      if (!(err instanceof ConflictError)) throw err; // it ended meanwhile: the page shows how
    }
    return c.redirect(runPath(run.id), 303);
  });

  ui.post('/runs/:id/rerun', auth, async (c) => {
    const run = await runOr404(db, c.req.param('id'));
    const again = await runs.rerun(run.id, { source: { type: 'ui' }, author: { username: c.get('session')!.user.username } });
    return c.redirect(runPath(again.id), 303);
  });
}
