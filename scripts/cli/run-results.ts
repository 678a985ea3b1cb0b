/**
 * Runs and results in the CLI: `hive run … --times N` (a run instead of one job),
 * `--priority N`, `--wait` (until the job or run has ended, then its result and the exit
 * code), and `hive runs <id>` (a run's status and its jobs).
 *
 * `--wait` asks the queen with `GET …?wait=50` again and again rather than once for an
 * hour: Node's fetch gives up on an answer after 300 s, and proxies in front of a queen
 * often after 60 s; each ask ends well before either, and the next picks the wait up.
 */
import { formatDuration } from '../../common/format-duration.ts';
import type { JobSummary } from '../../common/job-summary.ts';
import type { RunSummary } from '../../common/run-summary.ts';
import { api, apiAnswer } from './client.ts';
import { CliUsageError, type CliConfig } from './config.ts';

type Out = { write(text: string): void; error(text: string): void };

/** Seconds each `?wait` asks for. */
const WAIT_SECONDS = 50;

/** 0 passed, 1 failed, 2 anything else — as `--follow` exits. */
export const statusExit = (status: string) => (status === 'passed' ? 0 : status === 'failed' ? 1 : 2);

function wholeNumber(name: string, value: string | boolean | undefined, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (typeof value !== 'string' || !/^-?\d+$/.test(value.trim()) || n < min || n > max) {
    throw new CliUsageError(`--${name} must be a whole number from ${min} to ${max}, got "${String(value)}"`);
  }
  return n;
}

export interface TriggerShape {
  /** Set: a run of that many jobs (POST …/runs). */
  times?: number;
  wait: boolean;
  /** What the options add to the trigger's body. */
  body: { times?: number; priority?: number };
}

/** `--times`, `--priority`, `--wait` checked before anything is sent. */
export function triggerShape(flags: Record<string, string | boolean>): TriggerShape {
  const times = wholeNumber('times', flags.times, 1, 100);
  const priority = wholeNumber('priority', flags.priority, -100, 100);
  if (flags.follow && flags.wait) throw new CliUsageError('--follow and --wait do not go together: --follow shows the log as it runs, --wait only the result');
  if (flags.follow && times !== undefined) throw new CliUsageError('--follow follows one job; with --times use --wait, or hive logs --follow <job id>');
  return {
    times,
    wait: !!flags.wait,
    body: { ...(times !== undefined && { times }), ...(priority !== undefined && { priority }) },
  };
}

/** A job (or run) until it has ended: `?wait` asked again until the queen answers 200. */
async function untilEnded<T>(config: CliConfig, path: string): Promise<T> {
  for (;;) {
    const { status, body } = await apiAnswer<T>(config, 'GET', `${path}?wait=${WAIT_SECONDS}`);
    if (status === 200) return body;
  }
}

/** What `hive run` says after queueing, and with `--wait` the result; returns the exit code. */
export async function reportTriggered(
  config: CliConfig,
  project: { name: string },
  made: JobSummary | RunSummary,
  shape: TriggerShape,
  out: Out,
): Promise<number> {
  if ('times' in made) {
    out.error(`${project.name}: run of ${made.times} queued: ${made.id}\n`);
    if (!shape.wait) return 0;
    return showRun(await untilEnded<RunSummary>(config, `/api/runs/${made.id}`), out);
  }
  out.error(`${project.name} #${made.number} queued: ${made.id}\n`);
  if (!shape.wait) return 0;
  const job = await untilEnded<JobSummary & { message: string | null }>(config, `/api/jobs/${made.id}`);
  // A .hive.yml matrix made the job the first of a run: the result is the run's.
  if (job.runId) return showRun(await untilEnded<RunSummary>(config, `/api/runs/${job.runId}`), out);
  out.write(`${project.name} #${job.number} ${job.status}${job.message ? `: ${job.message}` : ''}\n`);
  return statusExit(job.status);
}

/** The run's status and one line per job; the exit code of its status. */
function showRun(run: RunSummary, out: Out): number {
  out.write(formatRun(run));
  return statusExit(run.status);
}

export function formatRun(run: RunSummary): string {
  const counts = Object.entries(run.counts).filter(([, n]) => n > 0).map(([s, n]) => `${n} ${s}`).join(', ');
  const lines = [`run ${run.id}: ${run.status} (${counts}) ${run.durationMs === null ? '' : formatDuration(run.durationMs)}`.trimEnd()];
  for (const j of run.jobs) {
    const name = j.name ? `  ${j.name}` : '';
    lines.push(`  #${j.number}  ${j.status.padEnd(9)}  ${formatDuration(j.durationMs).padStart(9)}${name}  ${j.id}`);
  }
  return `${lines.join('\n')}\n`;
}

/** `hive runs <run id>`: its status and its jobs; exit 0 (it is a report, not a wait). */
export async function runsCommand(config: CliConfig, positional: string[], out: Out): Promise<number> {
  if (!positional[0]) throw new CliUsageError('hive runs needs a run id');
  out.write(formatRun(await api<RunSummary>(config, 'GET', `/api/runs/${encodeURIComponent(positional[0])}`)));
  return 0;
}
