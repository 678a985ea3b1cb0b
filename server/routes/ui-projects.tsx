/** The dashboard and a project's pages: builds list, run form, new project, settings. */
import type { Hono } from 'hono';
import { z } from 'zod';
import { DashboardPage, DashboardTable } from '../../web/pages/dashboard.tsx';
import { ActiveSummary, ProjectPage, type ProjectPageData } from '../../web/pages/project.tsx';
import { NewProjectPage } from '../../web/pages/project-form.tsx';
import { ProjectSettingsPage, type SettingsPageData } from '../../web/pages/project-settings.tsx';
import type { PluginRegistry } from '../../plugins/loader.ts';
import type { SecretBox } from '../auth/secret-box.ts';
import { jobNumbers } from '../db/jobs.ts';
import { listProjectDeliveries } from '../db/webhook-deliveries.ts';
import { deliveryView, projectView } from './json-views.ts';
import { pluginListView } from './plugin-config-check.ts';
import { hidePluginSecrets } from './plugin-secrets.ts';
import { buildPath, runPath } from '../../common/urls.ts';
import { activeCountsByProject, listBuilds, listProjectOverviews, type BuildFilter } from '../db/build-lists.ts';
import type { Db } from '../db/client.ts';
import { findProject, type Project } from '../db/projects.ts';
import { NotFoundError, PayloadTooLargeError, ValidationError } from '../errors.ts';
import type { JobControl } from '../jobs/job-control.ts';
import type { RunControl } from '../jobs/run-control.ts';
import { groupedBuildPage } from './ui-runs.tsx';
import { JOB_TYPES } from '../../common/protocol/index.ts';
import { branchName, uuid } from './api-schemas.ts';
import { parseListQuery } from './build-list-query.ts';
import { html, pageContext, type UiContext, type UiEnv } from './ui-render.tsx';
import { requireAdmin, requireSession } from './ui-session.ts';
import { readRunForm, requireSessionForRunForm, type RunFormInput } from './ui-run-form.ts';
import { uploadLimitsOf } from './trigger-input.ts';

/**
 * Builds per page, as GitHub Actions (25) and GitLab (20) show. Chromium lays out every row
 * of a table before its first paint, at roughly a millisecond a row here: 50 rows put the
 * page's first paint near 100 ms on a 2-core machine, 25 keep it near 60.
 */
export const PAGE_SIZE = 25;

const runForm = z.object({
  branch: branchName,
  type: z.enum(JOB_TYPES).default('TEST'),
  /** More than 1: a run of that many builds of one commit (run-control.ts). */
  times: z.coerce.number().int().min(1).max(100).default(1),
  /** −100…100; an empty field leaves the project's default priority. */
  priority: z.preprocess((v) => (v === '' ? undefined : v), z.coerce.number().int().min(-100).max(100).optional()),
});

export async function projectOr404(db: Db, id: string | undefined): Promise<Project> {
  const project = id && uuid.safeParse(id).success ? await findProject(db, id) : undefined;
  if (!project) throw new NotFoundError('No such project; it may have been deleted');
  return project;
}

export function registerProjectRoutes(ui: Hono<UiEnv>, deps: {
  db: Db; control: JobControl; runs: RunControl; publicUrl: string; secretBox: SecretBox; plugins: PluginRegistry;
  /** What the run form may send (HIVE_MAX_UPLOAD_BYTES, HIVE_MAX_BODY_BYTES). */
  maxUploadBytes?: number; maxBodyBytes?: number;
}) {
  const { db, control } = deps;
  const auth = requireSession(db);
  const admins = requireAdmin('create projects and change their settings');

  const dashboardData = async () => ({ projects: await listProjectOverviews(db), counts: await activeCountsByProject(db) });

  ui.get('/', auth, async (c) => html(c, <DashboardPage ctx={await pageContext(c)} data={await dashboardData()} />));
  ui.get('/fragments/dashboard', auth, async (c) =>
    html(c, <DashboardTable data={await dashboardData()} canCreate={!!c.get('session')?.user.isAdmin} />, 200, false));

  ui.get('/projects/new', auth, admins, async (c) => html(c, <NewProjectPage ctx={await pageContext(c)} />));

  const projectPage = async (c: UiContext, project: Project, error?: string, status = 200) => {
    const q = parseListQuery(c.req.query());
    const filter: BuildFilter = { branch: q.branch, status: q.status };
    const [page, counts] = await Promise.all([
      // Unfiltered, a run is one entry with its builds under it; a filter lists builds one by one.
      filter.branch || filter.status
        ? listBuilds(db, project.id, filter, { limit: PAGE_SIZE, before: q.before, after: q.after })
        : groupedBuildPage(db, project.id, { limit: PAGE_SIZE, before: q.before, after: q.after }),
      activeCountsByProject(db),
    ]);
    const data: ProjectPageData = {
      project, page, filter, counts: counts.get(project.id) ?? { queued: 0, running: 0 }, error, maxUploadBytes: uploadLimitsOf(deps).maxUploadBytes,
    };
    return html(c, <ProjectPage ctx={await pageContext(c)} data={data} />, status);
  };

  ui.get('/projects/:id', auth, async (c) => projectPage(c, await projectOr404(db, c.req.param('id'))));

  ui.get('/projects/:id/active', auth, async (c) => {
    const project = await projectOr404(db, c.req.param('id'));
    const counts = (await activeCountsByProject(db)).get(project.id) ?? { queued: 0, running: 0 };
    return html(c, <ActiveSummary projectId={project.id} counts={counts} />, 200, false);
  });

  ui.get('/projects/:id/settings', auth, admins, async (c) => {
    const project = await projectOr404(db, c.req.param('id'));
    const deliveries = await listProjectDeliveries(db, project.id, 20);
    const data: SettingsPageData = {
      project: { ...projectView(project, deps.secretBox), plugins: hidePluginSecrets(deps.plugins, project.plugins) },
      plugins: pluginListView(deps.plugins).plugins,
      deliveries: deliveries.map(deliveryView),
      buildNumbers: await jobNumbers(db, [...new Set(deliveries.flatMap((d) => d.jobIds))]),
      publicUrl: deps.publicUrl,
    };
    return html(c, <ProjectSettingsPage ctx={await pageContext(c)} data={data} />);
  });

  // Multipart, with parameters and files, read as it streams in (ui-run-form.ts).
  ui.post('/projects/:id/run', requireSessionForRunForm(db), async (c) => {
    const project = await projectOr404(db, c.req.param('id'));
    let input: RunFormInput<z.output<typeof runForm>>;
    try {
      input = await readRunForm(c, runForm, { db, project, limits: uploadLimitsOf(deps) });
    } catch (err) {
      if (err instanceof ValidationError || err instanceof PayloadTooLargeError) return projectPage(c, project, err.message, err.status);
      throw err;
    }
    try {
      const trigger = {
        type: input.form.type,
        ref: { branch: input.form.branch },
        trigger: { source: { type: 'ui' as const }, author: { username: c.get('session')!.user.username } },
        params: input.params,
        uploadId: input.upload?.uploadId,
        priority: input.form.priority,
      };
      if (input.form.times > 1) {
        const run = await deps.runs.create(project.id, { ...trigger, times: input.form.times });
        return c.redirect(runPath(run.id), 303);
      }
      const job = await control.trigger(project, trigger);
      return c.redirect(buildPath(job.id), 303);
    } catch (err) {
      await input.discard();
      if (err instanceof ValidationError) return projectPage(c, project, err.message, 400);
      throw err;
    }
  });
}
