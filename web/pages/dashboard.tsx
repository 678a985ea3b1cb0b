/** Every project with its latest build, and what runs now; refreshed live. */
import type { ActiveCounts, ProjectOverview } from '../../server/db/build-lists.ts';
import { CommitLabel, RefLabel, firstLine, triggerText } from '../components/build-labels.tsx';
import { StatusBadge } from '../components/status-badge.tsx';
import { BuildDuration, RelTime } from '../components/times.tsx';
import { Layout, type PageContext } from '../layout.tsx';
import { buildPath, projectPath } from '../../common/urls.ts';

export interface DashboardData {
  projects: ProjectOverview[];
  counts: Map<string, ActiveCounts>;
}

/** `canCreate`: the viewer is an admin, who may create projects (others are not offered it). */
export function DashboardTable({ data, canCreate }: { data: DashboardData; canCreate: boolean }) {
  let running = 0;
  let queued = 0;
  for (const c of data.counts.values()) {
    running += c.running;
    queued += c.queued;
  }
  return (
    <div id="dashboard" data-fragment="/fragments/dashboard">
      <p class="summary" id="active-summary"><strong>{running}</strong> running · <strong>{queued}</strong> queued</p>
      {data.projects.length === 0 ? (
        canCreate
          ? <p class="empty">No projects yet. <a href="/projects/new">Create the first one</a>: a name, a git URL and the commands to run.</p>
          : <p class="empty">No projects yet; an admin can create them.</p>
      ) : (
        <div class="table-wrap">
          <table class="list">
            <caption class="sr-only">Projects and their latest builds</caption>
            <thead>
              <tr><th scope="col">Project</th><th scope="col">Last build</th><th scope="col">Branch</th><th scope="col">Commit</th><th scope="col">By</th><th scope="col">Duration</th><th scope="col">When</th><th scope="col">Active</th></tr>
            </thead>
            <tbody>
              {data.projects.map((p) => {
                const b = p.last;
                const c = data.counts.get(p.id);
                return (
                  <tr data-project-id={p.id}>
                    <th scope="row"><a href={projectPath(p.id)}>{p.name}</a></th>
                    {b ? (
                      <>
                        <td><a href={buildPath(b.id)} class="plain"><StatusBadge status={b.status} /> <span>#{b.number}</span></a></td>
                        <td><RefLabel ref={b.ref} /></td>
                        <td class="commit-cell"><CommitLabel ref={b.ref} trigger={b.trigger} /> <span class="muted">{firstLine(b.trigger.message, 80)}</span></td>
                        <td>{b.trigger.author?.name ?? b.trigger.author?.username ?? triggerText(b.trigger)}</td>
                        <td><BuildDuration startedAt={b.startedAt} finishedAt={b.finishedAt} /></td>
                        <td><RelTime at={b.finishedAt ?? b.startedAt ?? b.createdAt} /></td>
                      </>
                    ) : (
                      <td colspan={6} class="muted">no builds yet</td>
                    )}
                    <td>{c ? `${c.running} running, ${c.queued} queued` : <span class="muted">idle</span>}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}

export function DashboardPage({ ctx, data }: { ctx: PageContext; data: DashboardData }) {
  return (
    <Layout ctx={ctx} title="Dashboard" nav="dashboard" scripts={['lists.js']} live>
      <div class="page-head">
        <h1>Projects</h1>
        {ctx.user?.isAdmin ? <a class="button primary" href="/projects/new">New project</a> : ''}
      </div>
      <div data-live-list="dashboard">
        <DashboardTable data={data} canCreate={!!ctx.user?.isAdmin} />
      </div>
    </Layout>
  );
}
