/** A project's builds (filtered, paginated by build number) and the buttons that start one. */
import type { ActiveCounts, BuildFilter, BuildPage } from '../../server/db/build-lists.ts';
import { STATUS_FILTERS } from '../../server/db/build-lists.ts';
import type { Project } from '../../server/db/projects.ts';
import { BuildRow } from '../components/build-row.tsx';
import { RunInputs } from '../components/run-inputs.tsx';
import { RunRows, type RunRowsData } from '../components/run-rows.tsx';
import { ScheduleList } from '../components/schedule-list.tsx';
import { CsrfField, Layout, type PageContext } from '../layout.tsx';
import { STATUS_LABELS } from '../format.ts';
import { projectPath } from '../../common/urls.ts';

export interface ProjectPageData {
  project: Project;
  /** With `runs` (unfiltered lists), an entry whose run is there is shown as that run with its builds. */
  page: BuildPage & { runs?: Map<string, RunRowsData> };
  filter: BuildFilter;
  counts: ActiveCounts;
  /** Set when a trigger failed, to show above the form. */
  error?: string;
  /** HIVE_MAX_UPLOAD_BYTES, said beside the file picker. */
  maxUploadBytes?: number;
}

/** Served alone too (`/projects/:id/active`), so the page can refresh it live. */
export function ActiveSummary({ projectId, counts }: { projectId: string; counts: ActiveCounts }) {
  return (
    <p class="summary" id="project-active" data-fragment={`${projectPath(projectId)}/active`}>
      <strong>{counts.running}</strong> running · <strong>{counts.queued}</strong> queued
    </p>
  );
}

function pageLink(project: Project, filter: BuildFilter, cursor: Record<string, number>) {
  const q = new URLSearchParams();
  if (filter.branch) q.set('branch', filter.branch);
  if (filter.status) q.set('status', filter.status);
  for (const [k, v] of Object.entries(cursor)) q.set(k, String(v));
  return `${projectPath(project.id)}?${q}`;
}

export function ProjectPage({ ctx, data }: { ctx: PageContext; data: ProjectPageData }) {
  const { project, page, filter, counts } = data;
  const firstPage = page.newer === null;
  const filtered = !!(filter.branch || filter.status);
  return (
    <Layout ctx={ctx} title={project.name} nav="dashboard" scripts={['lists.js', 'forms.js']} live>
      <nav class="crumbs" aria-label="Breadcrumb"><a href="/">Projects</a> › <span aria-current="page">{project.name}</span></nav>
      <div class="page-head">
        <div>
          <h1>{project.name}</h1>
          <p class="muted small"><code>{project.repoUrl}</code> · default branch <code>{project.defaultBranch}</code></p>
        </div>
        {ctx.user?.isAdmin ? <a class="button" href={`${projectPath(project.id)}/settings`}>Settings</a> : ''}
      </div>

      <section class="card" aria-labelledby="run-title">
        <h2 id="run-title" class="h3">Run a build</h2>
        {data.error ? <p class="alert" role="alert">{data.error}</p> : ''}
        <form method="post" action={`${projectPath(project.id)}/run`} class="row-form" enctype="multipart/form-data">
          <CsrfField token={ctx.csrf} />
          <label for="run-branch">Branch</label>
          <input id="run-branch" name="branch" value={project.defaultBranch} required maxlength={255} autocomplete="off" spellcheck={false} />
          <label for="run-times">Times</label>
          <input id="run-times" name="times" type="number" min={1} max={100} value="1" required class="times-input"
            title="More than 1: a run of that many builds of one commit" />
          <label for="run-priority">Priority</label>
          <input id="run-priority" name="priority" type="number" min={-100} max={100} placeholder={String(project.defaultPriority)} class="times-input"
            title="−100…100, higher goes first; empty: the project's default" />
          <RunInputs parameters={project.parameters} maxUploadBytes={data.maxUploadBytes} />
          <button type="submit" name="type" value="TEST" class="primary">Run tests</button>
          <button type="submit" name="type" value="TEST_AND_DEPLOY">Run tests and deploy</button>
        </form>
      </section>

      <ScheduleList project={project} canEdit={!!ctx.user?.isAdmin} />

      <section aria-labelledby="builds-title">
        <div class="page-head">
          <h2 id="builds-title">Builds</h2>
          <ActiveSummary projectId={project.id} counts={counts} />
        </div>
        <form method="get" action={projectPath(project.id)} class="row-form filters" role="search" aria-label="Filter builds">
          <label for="filter-branch">Branch</label>
          <input id="filter-branch" name="branch" value={filter.branch ?? ''} placeholder="any" autocomplete="off" spellcheck={false} />
          <label for="filter-status">Status</label>
          <select id="filter-status" name="status">
            <option value="">any</option>
            {STATUS_FILTERS.map((s) => (
              <option value={s} selected={filter.status === s}>{s === 'active' ? 'running' : STATUS_LABELS[s]}</option>
            ))}
          </select>
          <button type="submit">Filter</button>
          {filtered ? <a href={projectPath(project.id)}>Clear</a> : ''}
        </form>
        <div class="table-wrap">
          <table class="list" id="builds"
            data-project-id={project.id}
            data-live-rows={firstPage ? 'prepend' : 'update'}
            data-grouped={page.runs ? 'runs' : undefined}
            data-filter={new URLSearchParams({ branch: filter.branch ?? '', status: filter.status ?? '', ...(page.runs && { grouped: '1' }) }).toString()}>
            <caption class="sr-only">Builds of {project.name}, newest first</caption>
            <thead>
              <tr><th scope="col">Status</th><th scope="col">Build</th><th scope="col">Branch</th><th scope="col">Commit</th><th scope="col">Trigger</th><th scope="col">Duration</th><th scope="col">Created</th></tr>
            </thead>
            <tbody>
              {page.builds.map((b) => {
                const run = b.runId ? page.runs?.get(b.runId) : undefined;
                return run ? <RunRows run={run.run} lead={run.lead} /> : <BuildRow build={b} />;
              })}
            </tbody>
          </table>
        </div>
        {page.builds.length === 0 ? <p class="empty">{filtered ? 'No build matches the filter.' : 'No builds yet: run one above.'}</p> : ''}
        <nav class="pager" aria-label="Pages of builds">
          {page.newer !== null ? <a href={pageLink(project, filter, { after: page.newer })} rel="prev">← Newer</a> : <span />}
          {page.older !== null ? <a href={pageLink(project, filter, { before: page.older })} rel="next">Older →</a> : <span />}
        </nav>
      </section>
    </Layout>
  );
}
