/**
 * The queen's side of the drone protocol, driven message by message over a real socket:
 * malformed frames, the version check, duplicate and out-of-order events, stale leases,
 * and resuming after a reconnect. Every bad message gets an error and changes nothing.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { WebSocket } from 'ws';
import { findJob } from '../../server/db/jobs.ts';
import { appendJobEvents, readJobEvents, type StoredEvent } from '../../server/db/job-log.ts';
import { encodeDataFrame, type JobAssign } from '../../common/protocol/index.ts';
import { createGitRepo, type GitRepo } from '../helpers/git-repo.ts';
import { startTestQueen, type TestQueen } from '../helpers/queen.ts';
import { openRawDrone, type RawDrone } from '../helpers/raw-drone.ts';

let queen: TestQueen;
let repo: GitRepo;
let projectId: string;

before(async () => {
  queen = await startTestQueen({ HIVE_LEASE_MS: '60000' });
  repo = await createGitRepo({ files: { 'a.txt': 'a' } });
  projectId = (await queen.api('POST', '/api/projects', { name: 'raw', repoUrl: repo.url, config: { phases: { test: ['true'] } } })).body.id;
});
after(async () => {
  await queen?.stop();
  await repo?.cleanup();
});

async function assignedJob(drone: RawDrone): Promise<JobAssign> {
  const jobId = (await queen.api('POST', `/api/projects/${projectId}/jobs`, {})).body.id;
  return drone.waitFor<JobAssign>((m) => m.type === 'job:assign' && m.spec.jobId === jobId);
}
const base = (a: JobAssign, seq: number) => ({ jobId: a.spec.jobId, lease: a.lease, seq, at: Date.now() });

describe('drone connections', () => {
  it('refuses a wrong drone token at the upgrade', async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${queen.port}/drone`, { headers: { authorization: 'Bearer nope' } });
    const status = await new Promise<number>((resolve) => ws.once('unexpected-response', (_q, res) => resolve(res.statusCode!)));
    assert.equal(status, 401);
    const admin = new WebSocket(`ws://127.0.0.1:${queen.port}/drone`, { headers: { authorization: 'Bearer test-admin-token-0123456789' } });
    assert.equal(await new Promise<number>((resolve) => admin.once('unexpected-response', (_q, res) => resolve(res.statusCode!))), 401);
  });

  it('answers malformed messages with an error and keeps going', async () => {
    const d = await openRawDrone(queen.port);
    d.sendRaw('{not json');
    assert.match((await d.waitFor((m) => m.type === 'error')).type, /error/);
    d.send({ type: 'job:heartbeat', jobs: [] });
    await d.waitFor((m) => m.type === 'error' && /first message must be drone:hello/.test((m as { message: string }).message));
    await d.hello({ name: 'malformed' });
    const before = d.messages.length;
    d.send({ type: 'drone:hello', version: 1, name: 'x' });
    d.send({ type: 'job:cmd:stdout', jobId: 'j', lease: 'l', seq: -1, cmd: 0, data: 'x' });
    d.send({ type: 'teleport' });
    await d.waitFor((m) => m.type === 'error' && /unknown message type "teleport"/.test((m as { message: string }).message));
    const errors = d.messages.slice(before).filter((m) => m.type === 'error');
    assert.equal(errors.length, 3);
    assert.match((errors[1] as { message: string }).message, /seq/);
    assert.equal((await queen.api('GET', '/api/projects')).status, 200, 'the queen still serves');
    d.close();
  });

  it('refuses another protocol version and closes the socket', async () => {
    const d = await openRawDrone(queen.port);
    d.send({ type: 'drone:hello', version: 999, name: 'future', capacity: 1, speed: 1, labels: [], plugins: [], running: [] });
    const err = await d.waitFor((m) => m.type === 'error');
    assert.equal((err as { code: string }).code, 'version_mismatch');
    assert.equal((await d.closed).code, 4000);
    const drones = (await queen.api('GET', '/api/drones')).body.drones;
    assert.ok(!drones.some((x: { name: string }) => x.name === 'future'), 'nothing registered');
  });
});

describe('job events', () => {
  it('stores events once, in order, whatever duplicates or reordering arrive, and acks', async () => {
    const d = await openRawDrone(queen.port);
    await d.hello({ name: 'dupes' });
    const a = await assignedJob(d);
    d.send({ type: 'job:accepted', jobId: a.spec.jobId, lease: a.lease });
    d.send({ type: 'job:started', ...base(a, 1) });
    d.send({ type: 'job:cmd:start', ...base(a, 2), cmd: 0, phase: 'test', command: 'true' });
    d.send({ type: 'job:cmd:start', ...base(a, 2), cmd: 0, phase: 'test', command: 'true' }); // duplicate
    d.send({ type: 'job:cmd:stdout', ...base(a, 4), cmd: 0, data: 'second\n' }); // ahead of 3
    d.send({ type: 'job:cmd:stdout', ...base(a, 3), cmd: 0, data: 'first\n' });
    await d.waitFor((m) => m.type === 'job:ack' && m.seq === 4);
    d.send({ type: 'job:cmd:stdout', ...base(a, 3), cmd: 0, data: 'first\n' }); // a replay of stored events
    d.send({ type: 'job:cmd:done', ...base(a, 5), cmd: 0, exitCode: 0, durationMs: 3 });
    d.send({ type: 'job:done', ...base(a, 6), status: 'passed' });
    const job = await queen.waitForJob(a.spec.jobId);
    assert.equal(job.status, 'passed');
    assert.equal(job.lastSeq, 6);
    const events = await readJobEvents(queen.testDb.db, { jobId: a.spec.jobId, attempt: 1 }, 0);
    assert.deepEqual(events.map((e) => e.seq), [1, 2, 3, 4, 5, 6]);
    assert.equal((await queen.api('GET', `/api/jobs/${a.spec.jobId}/log`)).text, '$ true\nfirst\nsecond\n');
    d.close();
  });

  it('takes output as binary data frames, and answers malformed ones with an error, storing nothing of them', async () => {
    const d = await openRawDrone(queen.port);
    await d.hello({ name: 'binary' });
    const a = await assignedJob(d);
    const output = (seq: number, data: string, over: Record<string, unknown> = {}) =>
      encodeDataFrame(JSON.stringify({ type: 'job:cmd:stdout', ...base(a, seq), cmd: 0, ...over }), data);
    d.send({ type: 'job:accepted', jobId: a.spec.jobId, lease: a.lease });
    d.send({ type: 'job:started', ...base(a, 1) });
    d.send({ type: 'job:cmd:start', ...base(a, 2), cmd: 0, phase: 'test', command: 'true' });
    d.sendRaw(output(3, 'é ✓ "q" \\ \u0000\n'));
    await d.waitFor((m) => m.type === 'job:ack' && m.seq === 3);
    const before = d.messages.length;
    const bad = [
      Buffer.from([1, 0, 0]), // too short
      Buffer.concat([Buffer.from([2]), output(4, 'x\n').subarray(1)]), // unknown kind
      output(4, 'x\n').subarray(0, 20), // the header cut short
      encodeDataFrame('{"type":"job:cmd:stdout"', 'x'), // the header is not JSON
      encodeDataFrame(JSON.stringify({ type: 'job:done', ...base(a, 4), status: 'passed' }), ''), // an event without data
      output(4, 'x\n', { data: 'twice' }), // data in the header too
      output(0, 'x\n'), // a bad seq
    ];
    for (const frame of bad) d.sendRaw(frame);
    await d.waitFor(() => d.messages.slice(before).filter((m) => m.type === 'error').length === bad.length);
    const errors = d.messages.slice(before).filter((m) => m.type === 'error').map((m) => (m as { message: string }).message);
    assert.match(errors[0], /too short/);
    assert.match(errors[1], /unknown kind 2/);
    assert.match(errors[2], /runs past its end/);
    assert.match(errors[3], /not valid JSON/);
    assert.match(errors[4], /job:done has no data/);
    assert.match(errors[5], /must not hold "data"/);
    assert.match(errors[6], /seq/);
    assert.equal((await findJob(queen.testDb.db, a.spec.jobId))?.lastSeq, 3, 'nothing of them was stored');
    d.sendRaw(output(4, 'more\n'));
    d.send({ type: 'job:cmd:done', ...base(a, 5), cmd: 0, exitCode: 0, durationMs: 3 });
    d.send({ type: 'job:done', ...base(a, 6), status: 'passed' });
    assert.equal((await queen.waitForJob(a.spec.jobId)).status, 'passed');
    const events = await readJobEvents(queen.testDb.db, { jobId: a.spec.jobId, attempt: 1 }, 0);
    assert.deepEqual(events.map((e) => e.seq), [1, 2, 3, 4, 5, 6]);
    assert.equal((await queen.api('GET', `/api/jobs/${a.spec.jobId}/log`)).text, '$ true\né ✓ "q" \\ \u0000\nmore\n');
    d.close();
  });

  it('ignores events of a stale lease and tells that drone to stop', async () => {
    const d = await openRawDrone(queen.port);
    await d.hello({ name: 'stale' });
    const a = await assignedJob(d);
    d.send({ type: 'job:started', ...base(a, 1), lease: 'not-the-lease' });
    const cancel = await d.waitFor((m) => m.type === 'job:cancel' && m.lease === 'not-the-lease');
    assert.equal(cancel.type, 'job:cancel');
    const job = await findJob(queen.testDb.db, a.spec.jobId);
    assert.equal(job?.status, 'assigned');
    assert.equal(job?.lastSeq, 0);
    d.send({ type: 'job:done', ...base(a, 1), status: 'passed' });
    assert.equal((await queen.waitForJob(a.spec.jobId)).status, 'passed');
    d.close();
  });

  it('says a cancel again with the first events of a job whose cancel overtook its assignment', async () => {
    // The race: a cancel given after the claim but before the assignment reached the drone
    // arrives first, and the drone ignores it as a job it does not have.
    const d = await openRawDrone(queen.port);
    await d.hello({ name: 'overtaken' });
    const a = await assignedJob(d);
    const cancels = () => d.messages.filter((m) => m.type === 'job:cancel' && m.jobId === a.spec.jobId && m.lease === a.lease).length;
    assert.equal((await queen.api('POST', `/api/jobs/${a.spec.jobId}/cancel`)).status, 200);
    await d.waitFor(() => cancels() === 1);
    // The assignment "arrives" now: accepted and started as if the cancel had never come.
    d.send({ type: 'job:accepted', jobId: a.spec.jobId, lease: a.lease });
    d.send({ type: 'job:started', ...base(a, 1) });
    await d.waitFor(() => cancels() === 2);
    d.send({ type: 'job:cmd:start', ...base(a, 2), cmd: 0, phase: 'test', command: 'sleep 1' });
    await d.waitFor((m) => m.type === 'job:ack' && m.seq === 2);
    d.send({ type: 'job:done', ...base(a, 3), status: 'cancelled', message: 'Cancelled' });
    assert.equal((await queen.waitForJob(a.spec.jobId)).status, 'cancelled');
    assert.equal(cancels(), 2, 'said again once, with the first events, not with every batch');
    d.close();
  });

  it('puts a refused job back in the queue for another drone', async () => {
    const d = await openRawDrone(queen.port);
    await d.hello({ name: 'refuser' });
    const a = await assignedJob(d);
    d.send({ type: 'drone:info', capacity: 0 });
    d.send({ type: 'job:rejected', jobId: a.spec.jobId, lease: a.lease, reason: 'shutting down' });
    const other = await openRawDrone(queen.port);
    await other.hello({ name: 'taker' });
    const again = await other.waitFor<JobAssign>((m) => m.type === 'job:assign' && m.spec.jobId === a.spec.jobId);
    assert.notEqual(again.lease, a.lease, 'a new lease for the new assignment');
    other.send({ type: 'job:done', ...base(again, 1), status: 'passed' });
    assert.equal((await queen.waitForJob(a.spec.jobId)).droneName, 'taker');
    d.close();
    other.close();
  });

  it('resumes a job after a reconnect: the drone learns what was stored and replays the rest', async () => {
    const d = await openRawDrone(queen.port);
    await d.hello({ name: 'flaky' });
    const a = await assignedJob(d);
    d.send({ type: 'job:started', ...base(a, 1) });
    d.send({ type: 'job:log', ...base(a, 2), data: 'before the drop\n' });
    await d.waitFor((m) => m.type === 'job:ack' && m.seq === 2);
    d.close();
    await d.closed;

    const back = await openRawDrone(queen.port);
    const welcome = await back.hello({ name: 'flaky', running: [{ jobId: a.spec.jobId, lease: a.lease, lastSeq: 4 }] });
    assert.deepEqual(welcome.resume, [{ jobId: a.spec.jobId, lease: a.lease, ackedSeq: 2, keep: true }]);
    back.send({ type: 'job:log', ...base(a, 3), data: 'after\n' });
    back.send({ type: 'job:done', ...base(a, 4), status: 'passed' });
    const job = await queen.waitForJob(a.spec.jobId);
    assert.equal(job.status, 'passed');
    assert.match((await queen.api('GET', `/api/jobs/${a.spec.jobId}/log`)).text, /before the drop\nafter\n/);
    back.close();
  });

  it('takes up a job whose events were stored elsewhere while its drone was away before sending any here', async () => {
    // This queen assigned the job (and knows nothing is stored under the new lease); the
    // drone left before its first event, and its first three were stored through another
    // queen. Back here, its next event must be stored after those, not wait for seq 1.
    const d = await openRawDrone(queen.port);
    await d.hello({ name: 'wanderer' });
    const a = await assignedJob(d);
    d.close();
    await d.closed;
    const elsewhere = [
      { type: 'job:started', seq: 1, at: Date.now() },
      { type: 'job:cmd:start', seq: 2, at: Date.now(), cmd: 0, phase: 'test', command: 'true' },
      { type: 'job:cmd:stdout', seq: 3, at: Date.now(), cmd: 0, data: 'stored elsewhere\n' },
    ] as StoredEvent[];
    assert.ok(await appendJobEvents(queen.testDb.db, a.spec.jobId, a.lease, elsewhere));

    const back = await openRawDrone(queen.port);
    const welcome = await back.hello({ name: 'wanderer', running: [{ jobId: a.spec.jobId, lease: a.lease, lastSeq: 3 }] });
    assert.deepEqual(welcome.resume, [{ jobId: a.spec.jobId, lease: a.lease, ackedSeq: 3, keep: true }]);
    back.send({ type: 'job:cmd:stdout', ...base(a, 4), cmd: 0, data: 'and here\n' });
    back.send({ type: 'job:cmd:done', ...base(a, 5), cmd: 0, exitCode: 0, durationMs: 1 });
    back.send({ type: 'job:done', ...base(a, 6), status: 'passed' });
    await back.waitFor((m) => m.type === 'job:ack' && m.seq === 6);
    assert.equal((await queen.waitForJob(a.spec.jobId)).status, 'passed');
    assert.match((await queen.api('GET', `/api/jobs/${a.spec.jobId}/log`)).text, /stored elsewhere\nand here\n/);
    back.close();
  });

  it('tells a drone to abandon a job it no longer holds, and handles the job it lost', async () => {
    const d = await openRawDrone(queen.port);
    await d.hello({ name: 'amnesiac' });
    const a = await assignedJob(d);
    d.send({ type: 'job:started', ...base(a, 1) });
    await d.waitFor((m) => m.type === 'job:ack');
    d.close();
    await d.closed;
    // It comes back claiming a job with a wrong lease, and without the job it really had.
    const back = await openRawDrone(queen.port);
    const welcome = await back.hello({ name: 'amnesiac', running: [{ jobId: a.spec.jobId, lease: 'forgotten', lastSeq: 9 }] });
    assert.equal(welcome.resume[0].keep, false);
    const job = await queen.waitForJob(a.spec.jobId);
    assert.equal(job.status, 'errored');
    assert.match(job.message ?? '', /drone amnesiac restarted/);
    back.close();
  });
});
