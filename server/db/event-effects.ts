/**
 * What a batch of a job's events changes besides its log — the job row's status, times and
 * phases, and its command rows — gathered from the whole batch, so that one statement
 * writes it (job-log.ts). Applied one event at a time, a trivial job's last batch (a
 * command's start and end, five phases, the job's end) was a transaction of a dozen
 * statements, and a trivial job ~20 statements in all: on the embedded database, which
 * runs in the queen's thread, ~19 ms of the queen's time per job.
 */
import { sql, type SQL } from 'drizzle-orm';
import type { FinalJobStatus, PhaseName } from '../../common/protocol/index.ts';
import type { StoredEvent } from './job-log.ts';
import type { JobPhases } from './schema.ts';

type Ended = Extract<StoredEvent, { type: 'job:cmd:done' }>;

/** A command that started in the batch; `end` when it also ended in it. */
interface StartedCommand {
  idx: number;
  phase: PhaseName;
  command: string;
  startedAt: string;
  end?: CommandEnd;
}
interface CommandEnd {
  exitCode: number | null;
  durationMs: number;
  error: string | null;
  finishedAt: string;
}

export interface EventEffects {
  /** `job:started`: when (ISO). */
  startedAt?: string;
  /** `job:done`. */
  done?: { status: FinalJobStatus; message: string | null; finishedAt: string };
  /** `job:phase:done`s, merged in order (a later report of a phase wins, as `||` did one by one). */
  phases?: JobPhases;
  startedCommands: StartedCommand[];
  /** Commands started in an earlier batch that ended in this one, by index. */
  endedCommands: Map<number, CommandEnd>;
}

const iso = (at: number) => new Date(at).toISOString();
const endOf = (e: Ended): CommandEnd => ({
  exitCode: e.exitCode,
  durationMs: Math.round(e.durationMs),
  error: e.error ?? null,
  finishedAt: iso(e.at),
});

export function effectsOf(events: readonly StoredEvent[]): EventEffects {
  const effects: EventEffects = { startedCommands: [], endedCommands: new Map() };
  const startedHere = new Map<number, StartedCommand>();
  for (const e of events) {
    switch (e.type) {
      case 'job:started':
        effects.startedAt = iso(e.at);
        break;
      case 'job:cmd:start': {
        // A second start of one index in a batch is ignored, as the insert's conflict was.
        if (startedHere.has(e.cmd)) break;
        const started: StartedCommand = { idx: e.cmd, phase: e.phase, command: e.command, startedAt: iso(e.at) };
        startedHere.set(e.cmd, started);
        effects.startedCommands.push(started);
        break;
      }
      case 'job:cmd:done': {
        const started = startedHere.get(e.cmd);
        if (started) started.end = endOf(e);
        else effects.endedCommands.set(e.cmd, endOf(e));
        break;
      }
      case 'job:phase:done':
        effects.phases = { ...effects.phases, [e.phase]: { status: e.status, durationMs: Math.round(e.durationMs) } };
        break;
      case 'job:done':
        effects.done = { status: e.status, message: e.message ?? null, finishedAt: iso(e.at) };
        break;
      default:
        break; // output and log lines change no state
    }
  }
  return effects;
}

/**
 * Whether the effects change the job's status, so the caller wants its row back (for the
 * `job-status` news). A phase that ended changes the row too, but nobody reads it then:
 * returning the whole row (its spec, plugins and phases as JSON, parsed here) cost a
 * phase's batch ~0.5 ms of the queen's thread on PGlite.
 */
export const changesJobRow = (effects: EventEffects): boolean => !!(effects.startedAt || effects.done);

/** How many command rows a batch writes, of each kind: with the batch's other counts, its statement's shape. */
export interface CommandCounts {
  started: number;
  ended: number;
}

export const commandCounts = (effects: EventEffects): CommandCounts => ({ started: effects.startedCommands.length, ended: effects.endedCommands.size });

/**
 * The command rows' writes, as data-modifying CTEs that read the fenced job row from a
 * CTE named `fenced` (its `attempt`): nothing is written when the fence held no row. The
 * two never touch one row: a command that started and ended in the batch is one insert.
 * Every value is a placeholder (`commandParams` gives them, `jobId` among them), so the
 * statement is the same for every batch of these counts and is built once (job-log.ts).
 */
export function commandWrites(counts: CommandCounts): SQL[] {
  const p = sql.placeholder;
  const writes: SQL[] = [];
  if (counts.started > 0) {
    const rows = sql.join(Array.from({ length: counts.started }, (_, i) => sql`(${p(`s${i}_idx`)}::int, ${p(`s${i}_phase`)}::text, ${p(`s${i}_command`)}::text, ${p(`s${i}_started_at`)}::timestamptz,
      ${p(`s${i}_exit_code`)}::int, ${p(`s${i}_duration_ms`)}::int, ${p(`s${i}_error`)}::text, ${p(`s${i}_finished_at`)}::timestamptz)`), sql`, `);
    // A start already stored keeps its row; an end in the batch is still recorded on it.
    writes.push(sql`insert into job_commands (job_id, attempt, idx, phase, command, started_at, exit_code, duration_ms, error, finished_at)
      select ${p('jobId')}::uuid, fenced.attempt, v.idx, v.phase, v.command, v.started_at, v.exit_code, v.duration_ms, v.error, v.finished_at
      from fenced, (values ${rows}) as v(idx, phase, command, started_at, exit_code, duration_ms, error, finished_at)
      on conflict (job_id, attempt, idx) do update set exit_code = excluded.exit_code, duration_ms = excluded.duration_ms,
        error = excluded.error, finished_at = excluded.finished_at
      where excluded.finished_at is not null
      returning 1 as n`);
  }
  if (counts.ended > 0) {
    const rows = sql.join(Array.from({ length: counts.ended }, (_, i) =>
      sql`(${p(`e${i}_idx`)}::int, ${p(`e${i}_exit_code`)}::int, ${p(`e${i}_duration_ms`)}::int, ${p(`e${i}_error`)}::text, ${p(`e${i}_finished_at`)}::timestamptz)`), sql`, `);
    writes.push(sql`update job_commands c set exit_code = v.exit_code, duration_ms = v.duration_ms, error = v.error, finished_at = v.finished_at
      from fenced, (values ${rows}) as v(idx, exit_code, duration_ms, error, finished_at)
      where c.job_id = ${p('jobId')}::uuid and c.attempt = fenced.attempt and c.idx = v.idx
      returning 1 as n`);
  }
  return writes;
}

/** The values of `commandWrites`' placeholders (all but `jobId`), into `params`. */
export function commandParams(effects: EventEffects, params: Record<string, unknown>): void {
  effects.startedCommands.forEach((c, i) => {
    params[`s${i}_idx`] = c.idx;
    params[`s${i}_phase`] = c.phase;
    params[`s${i}_command`] = c.command;
    params[`s${i}_started_at`] = c.startedAt;
    params[`s${i}_exit_code`] = c.end?.exitCode ?? null;
    params[`s${i}_duration_ms`] = c.end?.durationMs ?? null;
    params[`s${i}_error`] = c.end?.error ?? null;
    params[`s${i}_finished_at`] = c.end?.finishedAt ?? null;
  });
  let i = 0;
  for (const [idx, end] of effects.endedCommands) {
    params[`e${i}_idx`] = idx;
    params[`e${i}_exit_code`] = end.exitCode;
    params[`e${i}_duration_ms`] = end.durationMs;
    params[`e${i}_error`] = end.error;
    params[`e${i}_finished_at`] = end.finishedAt;
    i++;
  }
}
