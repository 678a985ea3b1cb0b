/**
 * What a batch of events changes besides the log is written by the batch's one statement
 * (server/db/event-effects.ts): status and times, phases merged in order, commands that
 * start and end in one batch or across two — and nothing at all when the fence refuses
 * the batch. Through the queen's lifecycle, as the ingest stores a drone's events.
 */
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import type { Job } from '../../server/db/jobs.ts';
import { findJob } from '../../server/db/jobs.ts';
import { listJobCommands, readJobEvents, type StoredEvent } from '../../server/db/job-log.ts';
import { handRunJobs, type HandRunJobs } from '../helpers/hand-run-job.ts';
import { startTestQueen, type TestQueen } from '../helpers/queen.ts';

let queen: TestQueen;
let jobs: HandRunJobs;

before(async () => {
  queen = await startTestQueen({ HIVE_LEASE_MS: '60000' });
  jobs = await handRunJobs(queen);
});
after(async () => {
  await jobs?.close();
  await queen?.stop();
});

const T0 = Date.parse('2026-11-30T10:00:00.000Z');
const ev = (seq: number, type: string, more: object = {}) => ({ type, seq, at: T0 + seq * 1000, ...more }) as StoredEvent;

/** A job assigned to the hand-driven drone, with nothing stored yet. */
async function freshJob() {
  const job = await jobs.start();
  const statuses: Job['status'][] = [];
  queen.bus.on('job-status', (j) => { if (j.id === job.id) statuses.push(j.status); });
  return { ...job, statuses };
}

it('applies a whole job told in two batches: started, commands within and across batches, phases merged in order, the end', async () => {
  const job = await freshJob();
  const first = await queen.lifecycle.recordEvents(job.id, job.lease, [
    ev(1, 'job:started'),
    ev(2, 'job:cmd:start', { cmd: 0, phase: 'setup', command: 'make deps' }),
    ev(3, 'job:cmd:stdout', { cmd: 0, data: 'deps\n' }),
    ev(4, 'job:cmd:done', { cmd: 0, exitCode: 0, durationMs: 1000.4 }),
    ev(5, 'job:phase:done', { phase: 'setup', status: 'passed', durationMs: 1500 }),
    ev(6, 'job:cmd:start', { cmd: 1, phase: 'test', command: 'make test' }),
  ]);
  assert.equal(first?.status, 'running');
  let row = await findJob(queen.database.db, job.id);
  assert.equal(row?.status, 'running');
  assert.equal(row?.startedAt?.toISOString(), new Date(T0 + 1000).toISOString());
  assert.deepEqual(row?.phases, { setup: { status: 'passed', durationMs: 1500 } });

  const second = await queen.lifecycle.recordEvents(job.id, job.lease, [
    ev(7, 'job:cmd:done', { cmd: 1, exitCode: 2, durationMs: 250, error: 'exit 2' }),
    ev(8, 'job:phase:done', { phase: 'test', status: 'passed', durationMs: 1 }),
    // A later report of the same phase wins, as it would one statement at a time.
    ev(9, 'job:phase:done', { phase: 'test', status: 'failed', durationMs: 300 }),
    ev(10, 'job:done', { status: 'failed', message: 'a command failed' }),
  ]);
  assert.equal(second?.status, 'failed');
  row = await findJob(queen.database.db, job.id);
  assert.equal(row?.status, 'failed');
  assert.equal(row?.message, 'a command failed');
  assert.equal(row?.finishedAt?.toISOString(), new Date(T0 + 10_000).toISOString());
  assert.equal(row?.leaseExpiresAt, null);
  assert.equal(row?.lastSeq, 10);
  assert.deepEqual(row?.phases, { setup: { status: 'passed', durationMs: 1500 }, test: { status: 'failed', durationMs: 300 } });

  const commands = await listJobCommands(queen.database.db, { jobId: job.id, attempt: 1 });
  assert.deepEqual(commands.map((c) => [c.idx, c.phase, c.command, c.exitCode, c.durationMs, c.error, c.startedAt.toISOString(), c.finishedAt?.toISOString()]), [
    [0, 'setup', 'make deps', 0, 1000, null, new Date(T0 + 2000).toISOString(), new Date(T0 + 4000).toISOString()],
    [1, 'test', 'make test', 2, 250, 'exit 2', new Date(T0 + 6000).toISOString(), new Date(T0 + 7000).toISOString()],
  ]);
  const stored = await readJobEvents(queen.database.db, { jobId: job.id, attempt: 1 }, 0);
  assert.deepEqual(stored.map((e) => e.seq), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  // Running, then the end: each status announced once (hooks and commit statuses hang on these).
  assert.deepEqual(job.statuses, ['running', 'failed']);
});

it('a job that starts and ends in one batch goes straight to its end, with both times', async () => {
  const job = await freshJob();
  const stored = await queen.lifecycle.recordEvents(job.id, job.lease, [
    ev(1, 'job:started'),
    ev(2, 'job:cmd:start', { cmd: 0, phase: 'test', command: 'true' }),
    ev(3, 'job:cmd:done', { cmd: 0, exitCode: 0, durationMs: 3 }),
    ev(4, 'job:done', { status: 'passed' }),
  ]);
  assert.equal(stored?.status, 'passed');
  const row = await findJob(queen.database.db, job.id);
  assert.equal(row?.startedAt?.toISOString(), new Date(T0 + 1000).toISOString());
  assert.equal(row?.finishedAt?.toISOString(), new Date(T0 + 4000).toISOString());
  assert.equal(row?.message, null);
  assert.deepEqual(job.statuses, ['passed']);
});

it('writes nothing — row, commands, log — for a batch under a stale lease or with a gap in its seqs', async () => {
  const job = await freshJob();
  await queen.lifecycle.recordEvents(job.id, job.lease, [ev(1, 'job:started')]);
  const before = await findJob(queen.database.db, job.id);
  const batch = (from: number) => [
    ev(from, 'job:cmd:start', { cmd: 0, phase: 'test', command: 'x' }),
    ev(from + 1, 'job:cmd:done', { cmd: 0, exitCode: 0, durationMs: 1 }),
    ev(from + 2, 'job:phase:done', { phase: 'test', status: 'passed', durationMs: 1 }),
    ev(from + 3, 'job:done', { status: 'passed' }),
  ];
  assert.equal(await queen.lifecycle.recordEvents(job.id, 'not-the-lease', batch(2)), undefined);
  assert.equal(await queen.lifecycle.recordEvents(job.id, job.lease, batch(3)), undefined, 'seq 2 is missing');
  assert.deepEqual(await findJob(queen.database.db, job.id), before);
  assert.deepEqual(await listJobCommands(queen.database.db, { jobId: job.id, attempt: 1 }), []);
  assert.deepEqual((await readJobEvents(queen.database.db, { jobId: job.id, attempt: 1 }, 0)).map((e) => e.seq), [1]);
  assert.deepEqual(job.statuses, ['running']);
});

it('batches of one shape, the statement built once: each job gets its own values, none of an earlier batch', async () => {
  // Two jobs told the same kinds of events in the same batches — one statement per shape,
  // built at its first use — with every value different: ids, leases, seqs, times, commands,
  // output, exit codes, phases, messages, statuses. A value built into the kept statement
  // instead of bound would show up in the second job's rows.
  const told = async (n: number) => {
    const job = await freshJob();
    const at = (seq: number) => ({ at: T0 + n * 100_000 + seq * 1000 });
    await queen.lifecycle.recordEvents(job.id, job.lease, [ev(1, 'job:started', at(1))]);
    await queen.lifecycle.recordEvents(job.id, job.lease, [
      ev(2, 'job:cmd:start', { cmd: 0, phase: 'test', command: `make check-${n}`, ...at(2) }),
      ev(3, 'job:cmd:stdout', { cmd: 0, data: `output of job ${n}\n`, ...at(3) }),
      ev(4, 'job:cmd:done', { cmd: 0, exitCode: n, durationMs: 10 * n, error: `exit ${n}`, ...at(4) }),
      ev(5, 'job:cmd:start', { cmd: 1, phase: 'test', command: `report-${n}`, ...at(5) }),
    ]);
    await queen.lifecycle.recordEvents(job.id, job.lease, [
      ev(6, 'job:cmd:done', { cmd: 1, exitCode: 0, durationMs: 20 * n, ...at(6) }),
      ev(7, 'job:phase:done', { phase: 'test', status: n === 1 ? 'passed' : 'failed', durationMs: 30 * n, ...at(7) }),
      ev(8, 'job:done', { status: n === 1 ? 'passed' : 'failed', message: n === 1 ? null : `job ${n} failed`, ...at(8) }),
    ]);
    return { job, at };
  };
  const one = await told(1);
  const two = await told(2);
  for (const [n, { job, at }] of [[1, one], [2, two]] as const) {
    const row = await findJob(queen.database.db, job.id);
    assert.equal(row?.status, n === 1 ? 'passed' : 'failed');
    assert.equal(row?.message, n === 1 ? null : `job ${n} failed`);
    assert.equal(row?.lastSeq, 8);
    assert.equal(row?.startedAt?.toISOString(), new Date(at(1).at).toISOString());
    assert.equal(row?.finishedAt?.toISOString(), new Date(at(8).at).toISOString());
    assert.deepEqual(row?.phases, { test: { status: n === 1 ? 'passed' : 'failed', durationMs: 30 * n } });
    const commands = await listJobCommands(queen.database.db, { jobId: job.id, attempt: 1 });
    assert.deepEqual(commands.map((c) => [c.idx, c.command, c.exitCode, c.durationMs, c.error, c.startedAt.toISOString(), c.finishedAt?.toISOString()]), [
      [0, `make check-${n}`, n, 10 * n, `exit ${n}`, new Date(at(2).at).toISOString(), new Date(at(4).at).toISOString()],
      [1, `report-${n}`, 0, 20 * n, null, new Date(at(5).at).toISOString(), new Date(at(6).at).toISOString()],
    ]);
    const stored = await readJobEvents(queen.database.db, { jobId: job.id, attempt: 1 }, 0);
    assert.deepEqual(stored.map((e) => e.seq), [1, 2, 3, 4, 5, 6, 7, 8]);
    const output = stored.find((e) => e.type === 'job:cmd:stdout');
    assert.equal(output?.type === 'job:cmd:stdout' && output.data, `output of job ${n}\n`);
    assert.deepEqual(job.statuses, ['running', n === 1 ? 'passed' : 'failed']);
  }
});
