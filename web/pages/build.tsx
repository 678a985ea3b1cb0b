/**
 * A build: header (status, ref, commit, trigger, drone, times, actions), its phases and
 * commands, the live log (rendered in the browser by build-page.ts, windowed so a huge
 * log stays fast) and the resolved spec.
 */
import type { Job } from '../../server/db/jobs.ts';
import type { jobCommands } from '../../server/db/schema.ts';
import type { Project } from '../../server/db/projects.ts';
import { PHASES, type JobSpec, type PhaseName } from '../../common/protocol/index.ts';
import { CommitLabel, RefLabel, triggerText } from '../components/build-labels.tsx';
import { StatusBadge } from '../components/status-badge.tsx';
import { BuildDuration, RelTime } from '../components/times.tsx';
import { formatDuration, formatTimestamp, isFinal } from '../format.ts';
import { CsrfField, Layout, type PageContext } from '../layout.tsx';
import { buildPath, projectPath, rawLogPath, runPath } from '../../common/urls.ts';
import { matrixJobName } from '../../common/job-name.ts';
import { JsonScript } from '../components/json-script.tsx';
import { BuildInputs } from '../components/build-inputs.tsx';
import type { UploadedFile } from '../../common/upload-files.ts';

type CommandRow = typeof jobCommands.$inferSelect;

export interface BuildPageData {
  job: Job;
  project: Project;
  commands: CommandRow[];
  /** The build this one re-runs, to link to. */
  rerunOf?: { id: string; number: number };
  /** A queued build's place in the queue and why it waits (server/scheduler/queue-view.ts). */
  waiting?: { position: number; effectivePriority: number; reason: string };
  /** The files uploaded with the build, by name and size (build-inputs.tsx). */
  files?: UploadedFile[];
}

const TYPE_WORDS: Record<string, string> = { TEST: 'tests', TEST_AND_DEPLOY: 'tests and deploy', DEPLOY: 'deploy' };

/** The header, also served alone (`/builds/:id/header`) so the page can refresh it on a status change. */
export function BuildHeader({ ctx, data }: { ctx: PageContext; data: BuildPageData }) {
  const { job, rerunOf, waiting } = data;
  const active = job.status === 'assigned' || job.status === 'running' || job.status === 'queued';
  return (
    <div id="build-header" data-status={job.status} data-attempt={job.attempt}>
      <div class="page-head">
        <h1>
          <StatusBadge status={job.status} large /> <span>Build #{job.number}</span>
          {matrixJobName(job.matrix) ? <span class="job-name">{matrixJobName(job.matrix)}</span> : ''}
          <span class="tag">{TYPE_WORDS[job.type] ?? job.type}</span>
        </h1>
        <div class="actions">
          {active ? (
            <form method="post" action={`${buildPath(job.id)}/cancel`} class="inline" data-confirm="Cancel this build?">
              <CsrfField token={ctx.csrf} />
              <button type="submit" class="danger" disabled={job.cancelRequested}>{job.cancelRequested ? 'Cancelling…' : 'Cancel'}</button>
            </form>
          ) : ''}
          {isFinal(job.status) ? (
            <form method="post" action={`${buildPath(job.id)}/rerun`} class="inline">
              <CsrfField token={ctx.csrf} />
              <button type="submit">Re-run</button>
            </form>
          ) : ''}
          {job.logPrunedAt ? '' : <a class="button" href={rawLogPath(job.id)} download={`build-${job.number}.log`}>Download raw log</a>}
        </div>
      </div>
      {job.message && job.status !== 'passed' ? <p class={`alert alert-${job.status}`} role="status">{job.message}</p> : ''}
      {job.lateResult ? (
        <p class={`alert alert-${job.lateResult.status}`} role="status" id="late-result">
          The drone finished after the job was reaped: {job.lateResult.status}{job.lateResult.message ? ` (${job.lateResult.message})` : ''}
        </p>
      ) : ''}
      {waiting ? (
        <p class="alert alert-queued" role="status" id="wait-reason">
          Waiting: {waiting.reason} · number {waiting.position} in the queue
        </p>
      ) : ''}
      <dl class="facts">
        <div><dt>Ref</dt><dd><RefLabel ref={job.ref} /></dd></div>
        <div><dt>Commit</dt><dd><CommitLabel ref={job.ref} trigger={job.trigger} /></dd></div>
        <div><dt>Trigger</dt><dd>{triggerText(job.trigger)}{rerunOf ? <> · re-run of <a href={buildPath(rerunOf.id)}>#{rerunOf.number}</a></> : ''}</dd></div>
        {job.runId ? <div><dt>Run</dt><dd><a href={runPath(job.runId)} id="build-run">all builds of this run</a></dd></div> : ''}
        {job.trigger.message ? <div class="wide"><dt>Message</dt><dd class="pre-line">{job.trigger.message}</dd></div> : ''}
        <BuildInputs params={job.params} files={data.files} uploadId={job.uploadId} />
        <div><dt>Drone</dt><dd>{job.droneName ?? <span class="muted">not assigned</span>}</dd></div>
        <div><dt>Queued</dt><dd><RelTime at={job.createdAt} /></dd></div>
        <div><dt>Started</dt><dd><RelTime at={job.startedAt} /></dd></div>
        <div><dt>Finished</dt><dd><RelTime at={job.finishedAt} /></dd></div>
        <div><dt>Duration</dt><dd><BuildDuration startedAt={job.startedAt} finishedAt={job.finishedAt} /></dd></div>
        {job.attempt > 1 ? (
          <div>
            <dt>Attempt</dt>
            <dd>
              {job.attempt}
              {job.logPrunedAt ? '' : <> · earlier: {Array.from({ length: job.attempt - 1 }, (_, i) => (
                <>{i > 0 ? ', ' : ''}<a href={rawLogPath(job.id, i + 1)}>log of attempt {i + 1}</a></>
              ))}</>}
            </dd>
          </div>
        ) : ''}
        <div>
          <dt>Priority</dt>
          <dd>{job.priority}{waiting && waiting.effectivePriority !== job.priority ? ` (now ${waiting.effectivePriority}, for its wait)` : ''}</dd>
        </div>
      </dl>
    </div>
  );
}

/** Said where the log would be once retention removed it, so an empty log is never mistaken for a silent build. */
function LogPrunedNote({ at }: { at: Date }) {
  return (
    <span id="log-pruned" role="status">
      Log removed by retention on <time datetime={at.toISOString()} title={formatTimestamp(at)}>{at.toISOString().slice(0, 10)}</time>;
      the phases, commands and exit codes are kept.
    </span>
  );
}

interface CommandLine {
  display: string;
  state: string;
  idx?: number;
  exitCode?: number | null;
  durationMs?: number | null;
  error?: string | null;
}

function phaseCommands(spec: JobSpec | null, commands: CommandRow[], phase: PhaseName, phaseStatus?: string): CommandLine[] {
  const planned = spec?.phases?.[phase] ?? [];
  const ran = commands.filter((c) => c.phase === phase);
  const lines: CommandLine[] = [];
  for (let k = 0; k < Math.max(planned.length, ran.length); k++) {
    const r = ran[k];
    if (r) {
      const state = r.finishedAt === null ? 'running' : r.exitCode === 0 && !r.error ? 'passed' : 'failed';
      lines.push({ display: r.command, state, idx: r.idx, exitCode: r.exitCode, durationMs: r.durationMs, error: r.error });
    } else {
      const p = planned[k];
      lines.push({ display: p.display ?? p.run, state: phaseStatus ? 'skipped' : 'pending' });
    }
  }
  return lines;
}

export function CommandItem({ phase, pos, line }: { phase: string; pos: number; line: CommandLine }) {
  return (
    <li class="cmd" data-phase={phase} data-pos={pos} data-state={line.state} data-cmd={line.idx}>
      <span class="cmd-state" aria-label={line.state}></span>
      <a class="cmd-text" href={line.idx !== undefined ? `#cmd-${line.idx}` : undefined}><code>{line.display}</code></a>
      <span class="cmd-meta">
        <span class="cmd-exit">{line.error ? line.error : line.exitCode !== undefined && line.exitCode !== null ? `exit ${line.exitCode}` : ''}</span>
        <span class="cmd-duration">{line.durationMs !== undefined && line.durationMs !== null ? formatDuration(line.durationMs) : ''}</span>
      </span>
    </li>
  );
}

export function PhaseList({ data }: { data: BuildPageData }) {
  const { job, commands } = data;
  const shown = PHASES.filter((p) => (job.spec?.phases?.[p]?.length ?? 0) > 0 || commands.some((c) => c.phase === p));
  if (shown.length === 0) {
    return <p class="muted" id="phases-empty">{job.spec ? 'This build has no commands.' : 'The commands are known once the build configuration is resolved.'}</p>;
  }
  return (
    <ol class="phases">
      {shown.map((phase) => {
        const info = job.phases[phase];
        const lines = phaseCommands(job.spec, commands, phase, info?.status);
        return (
          <li class="phase" data-phase={phase} data-state={info?.status ?? (lines.some((l) => l.state !== 'pending') ? 'running' : 'pending')}>
            <details open>
              <summary>
                <span class="phase-name">{phase}</span>
                <span class="phase-status">{info ? info.status : ''}</span>
                <span class="phase-duration">{info ? formatDuration(info.durationMs) : ''}</span>
              </summary>
              <ol class="cmds">
                {lines.map((line, pos) => <CommandItem phase={phase} pos={pos} line={line} />)}
              </ol>
            </details>
          </li>
        );
      })}
    </ol>
  );
}

/** The stored spec with anything secret removed, for display. */
export function redactedSpec(spec: JobSpec | null): unknown {
  if (!spec) return null;
  const { secrets, checkout, ...rest } = spec;
  const { credentials: _c, ...publicCheckout } = checkout;
  return {
    ...rest,
    checkout: publicCheckout,
    secrets: Object.fromEntries(Object.keys(secrets ?? {}).map((k) => [k, '[redacted]'])),
  };
}

/** JSON for a `<script type="application/json">`: nothing in it can close the tag. */

export function BuildPage({ ctx, data }: { ctx: PageContext; data: BuildPageData }) {
  const { job, project } = data;
  // The log's controls stay in the page, hidden, for the page script that expects them.
  const pruned = !!job.logPrunedAt;
  const boot = { jobId: job.id, projectId: project.id, status: job.status, attempt: job.attempt, lastSeq: job.lastSeq, number: job.number };
  return (
    <Layout ctx={ctx} title={`#${job.number} · ${project.name}`} nav="dashboard" scripts={['build-page.js']} live>
      <nav class="crumbs" aria-label="Breadcrumb"><a href="/">Projects</a> › <a href={projectPath(project.id)}>{project.name}</a> › <span aria-current="page">Build #{job.number}</span></nav>
      <BuildHeader ctx={ctx} data={data} />
      <div class="build-grid">
        <section class="card phases-card" aria-labelledby="phases-title">
          <h2 id="phases-title" class="h3">Phases</h2>
          <div id="phases"><PhaseList data={data} /></div>
        </section>
        <section class="card log-card" aria-labelledby="log-title">
          <div class="log-toolbar">
            <h2 id="log-title" class="h3">Log</h2>
            {job.logPrunedAt ? <LogPrunedNote at={job.logPrunedAt} /> : ''}
            <span id="log-info" class="muted small" role="status" aria-live="polite" hidden={pruned}></span>
            <form id="log-search" class="inline" role="search" aria-label="Search the log" hidden={pruned}>
              <label for="log-find" class="sr-only">Find in log</label>
              <input id="log-find" type="search" placeholder="Find in log" autocomplete="off" spellcheck={false} />
              <button type="submit">Find</button>
            </form>
            <button type="button" id="log-follow" aria-pressed="true" title="Keep the newest line in view" hidden={pruned}>Follow</button>
          </div>
          <div id="log" class="log-viewport" tabindex={0} role="log" aria-live="off" aria-label={`Log of build ${job.number}`} hidden={pruned}>
            <div class="log-spacer"></div>
            <div class="log-window"></div>
          </div>
          {pruned ? '' : <noscript><p>The live log needs JavaScript; <a href={rawLogPath(job.id)}>read the raw log</a> instead.</p></noscript>}
        </section>
      </div>
      <details class="card spec">
        <summary><h2 class="h3 inline-heading">Resolved spec</h2></summary>
        {job.spec ? <pre><code>{JSON.stringify(redactedSpec(job.spec), null, 2)}</code></pre> : <p class="muted">Not resolved yet.</p>}
      </details>
      <JsonScript id="build-data" value={boot} />
    </Layout>
  );
}
