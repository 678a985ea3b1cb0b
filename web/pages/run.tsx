/**
 * A run: its status and counts, what it builds and why, Cancel / Re-run, and its builds
 * with their names (matrix combinations), statuses and times. The body is served alone
 * too (`/runs/:id/body`), so the page refreshes it when one of its builds changes.
 */
import type { RunSummary } from '../../common/run-summary.ts';
import { isFinalRunStatus } from '../../common/run-status.ts';
import { buildPath, projectPath, runPath } from '../../common/urls.ts';
import type { Project } from '../../server/db/projects.ts';
import { CommitLabel, RefLabel, firstLine, triggerText } from '../components/build-labels.tsx';
import { runCountsText } from '../components/run-rows.tsx';
import { StatusBadge } from '../components/status-badge.tsx';
import { BuildDuration, RelTime } from '../components/times.tsx';
import { CsrfField, Layout, type PageContext } from '../layout.tsx';

export interface RunPageData {
  run: RunSummary;
  project: Project;
}

const TYPE_WORDS: Record<string, string> = { TEST: 'tests', TEST_AND_DEPLOY: 'tests and deploy', DEPLOY: 'deploy' };
const date = (iso: string | null) => (iso ? new Date(iso) : null);

function describeSize(run: RunSummary): string {
  const n = run.jobs.length;
  const builds = `${n} ${n === 1 ? 'build' : 'builds'}`;
  const matrix = run.jobs.some((j) => j.name);
  if (matrix && run.times > 1) return `${builds}: ${run.times} times a matrix`;
  if (matrix) return `${builds}: a matrix`;
  return `${builds}${run.times > 1 ? ` of one commit` : ''}`;
}

export function RunBody({ ctx, data }: { ctx: PageContext; data: RunPageData }) {
  const { run } = data;
  const final = isFinalRunStatus(run.status);
  const unfinished = run.counts.queued + run.counts.running;
  return (
    <div id="run-body" data-fragment={`${runPath(run.id)}/body`} data-status={run.status}>
      <div class="page-head">
        <h1>
          <StatusBadge status={run.status} large /> <span>Run</span>
          <span class="tag">{TYPE_WORDS[run.type] ?? run.type}</span>
        </h1>
        <div class="actions">
          {unfinished > 0 ? (
            <form method="post" action={`${runPath(run.id)}/cancel`} class="inline" data-confirm={`Cancel the ${unfinished} unfinished builds of this run?`}>
              <CsrfField token={ctx.csrf} />
              <button type="submit" class="danger">Cancel</button>
            </form>
          ) : ''}
          {final ? (
            <form method="post" action={`${runPath(run.id)}/rerun`} class="inline">
              <CsrfField token={ctx.csrf} />
              <button type="submit">Re-run</button>
            </form>
          ) : ''}
        </div>
      </div>
      <dl class="facts">
        <div><dt>Builds</dt><dd>{describeSize(run)} · <span id="run-counts">{runCountsText(run.counts)}</span></dd></div>
        <div><dt>Ref</dt><dd><RefLabel ref={run.ref} /></dd></div>
        <div><dt>Commit</dt><dd><CommitLabel ref={run.ref} trigger={run.trigger} /></dd></div>
        <div><dt>Trigger</dt><dd>{triggerText(run.trigger)}</dd></div>
        {run.trigger.message ? <div class="wide"><dt>Message</dt><dd class="pre-line">{run.trigger.message}</dd></div> : ''}
        {Object.keys(run.params).length ? (
          <div class="wide"><dt>Parameters</dt><dd>{Object.entries(run.params).map(([k, v]) => <code class="param">{k}={v}</code>)}</dd></div>
        ) : ''}
        <div><dt>Priority</dt><dd>{run.priority}</dd></div>
        <div><dt>Queued</dt><dd><RelTime at={run.submittedAt} /></dd></div>
        <div><dt>Started</dt><dd><RelTime at={run.startedAt} /></dd></div>
        <div><dt>Finished</dt><dd><RelTime at={run.finishedAt} /></dd></div>
        <div><dt>Duration</dt><dd><BuildDuration startedAt={date(run.startedAt)} finishedAt={date(run.finishedAt)} /></dd></div>
      </dl>
      <div class="table-wrap">
        <table class="list" id="run-builds">
          <caption class="sr-only">Builds of this run</caption>
          <thead>
            <tr><th scope="col">Status</th><th scope="col">Build</th><th scope="col">Name</th><th scope="col">Started</th><th scope="col">Finished</th><th scope="col">Duration</th></tr>
          </thead>
          <tbody>
            {run.jobs.map((j) => (
              <tr data-job-id={j.id} data-status={j.status}>
                <td><StatusBadge status={j.status} /></td>
                <td><a href={buildPath(j.id)} aria-label={`Build ${j.number}`}>#{j.number}</a></td>
                <td>
                  {j.name ? <span class="job-name">{j.name}</span> : <span class="muted">—</span>}
                  {j.message && j.status !== 'passed' ? <span class="muted small"> {firstLine(j.message)}</span> : ''}
                </td>
                <td><RelTime at={j.startedAt} /></td>
                <td><RelTime at={j.finishedAt} /></td>
                <td><BuildDuration startedAt={date(j.startedAt)} finishedAt={date(j.finishedAt)} /></td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </div>
  );
}

export function RunPage({ ctx, data }: { ctx: PageContext; data: RunPageData }) {
  const { project, run } = data;
  return (
    <Layout ctx={ctx} title={`Run · ${project.name}`} nav="dashboard" scripts={['lists.js']} live>
      <nav class="crumbs" aria-label="Breadcrumb"><a href="/">Projects</a> › <a href={projectPath(project.id)}>{project.name}</a> › <span aria-current="page">Run</span></nav>
      <div id="run-live" data-run-id={run.id} data-project-id={project.id}>
        <RunBody ctx={ctx} data={data} />
      </div>
    </Layout>
  );
}
