/** How a run looks in API answers (`GET /api/runs/:id`): its settings, jobs, status and times. */
import { matrixJobName } from '../../common/job-name.ts';
import { isFinalRunStatus, runCounts, runStatus } from '../../common/run-status.ts';
import type { RunJobSummary, RunSummary } from '../../common/run-summary.ts';
import { runJobStates, type Run, type RunJob } from '../db/runs.ts';

const iso = (d: Date | null | undefined) => (d ? d.toISOString() : null);
const span = (from: Date | null, to: Date | null) => (from && to ? to.getTime() - from.getTime() : null);

export function runJobView(j: RunJob): RunJobSummary {
  return {
    id: j.id,
    number: j.number,
    status: j.status,
    name: matrixJobName(j.matrix),
    matrix: j.matrix,
    message: j.message,
    startedAt: iso(j.startedAt),
    finishedAt: iso(j.finishedAt),
    durationMs: span(j.startedAt, j.finishedAt),
  };
}

export function runView(run: Run, jobs: RunJob[]): RunSummary {
  const status = runStatus(runJobStates(jobs));
  const started = jobs.map((j) => j.startedAt).filter((d): d is Date => !!d);
  const finished = jobs.map((j) => j.finishedAt).filter((d): d is Date => !!d);
  const startedAt = started.length ? new Date(Math.min(...started.map((d) => d.getTime()))) : null;
  const finishedAt = isFinalRunStatus(status) && finished.length ? new Date(Math.max(...finished.map((d) => d.getTime()))) : null;
  return {
    id: run.id,
    projectId: run.projectId,
    status,
    type: run.type,
    ref: run.ref,
    trigger: run.trigger,
    times: run.times,
    priority: run.priority,
    params: run.params,
    jobs: jobs.map(runJobView),
    counts: runCounts(jobs),
    submittedAt: run.createdAt.toISOString(),
    startedAt: iso(startedAt),
    finishedAt: iso(finishedAt),
    durationMs: span(startedAt, finishedAt),
  };
}
