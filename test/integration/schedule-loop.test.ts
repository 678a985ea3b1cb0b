/**
 * The schedule loop on a real database with a fake clock, so days pass in milliseconds
 * and every due time is exact: first sight records a baseline (no firing for the past),
 * a due schedule fires once, firings missed while no queen ran fire once, disabled
 * schedules never fire, two loops on one database fire each due time once, edits do not
 * fire for the past. Jobs are really created (JobControl, with the due time's dedup key),
 * since that key is what keeps a due time to one job: exactly once across a failed
 * creation (retried with a backoff), a queen that died between the job's insert and the
 * firing's record, and two queens racing; a permanent failure is logged and skipped.
 * (schedules.test.ts runs the same on a real queen in real time.)
 */
import assert from 'node:assert/strict';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import { and, eq, isNotNull } from 'drizzle-orm';
import { pino } from 'pino';
import { insertProject, updateProject } from '../../server/db/projects.ts';
import { jobs, projects, scheduleFirings } from '../../server/db/schema.ts';
import { JobControl } from '../../server/jobs/job-control.ts';
import { JobLifecycle } from '../../server/jobs/job-lifecycle.ts';
import { LiveBus } from '../../server/jobs/live-bus.ts';
import { silentLogger } from '../../server/logger.ts';
import { DroneHub } from '../../server/scheduler/drone-hub.ts';
import { fireDueSchedule } from '../../server/schedules/fire-schedule.ts';
import { firingDedupKey } from '../../server/schedules/firing-key.ts';
import { ScheduleLoop, type Firing, type ScheduleLoopDeps } from '../../server/schedules/schedule-loop.ts';
import type { Schedule } from '../../server/schedules/schedule.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/test-db.ts';

let database: TestDatabase;
let control: JobControl;
const clock = { now: new Date('2026-03-02T10:00:00.250Z') };
const loops: ScheduleLoop[] = [];

interface Fired { project: string; schedule: string; dueAt: string }

/** The real firing (a job with the due time's dedup key), as the queen wires it. */
const realFire: ScheduleLoopDeps['fire'] = (project, schedule, dueAt) => fireDueSchedule(control, project, schedule, dueAt);

/** A loop on the test database and the fake clock; `fired` records the jobs it created. */
function makeLoop(over: Partial<ScheduleLoopDeps> = {}) {
  const fired: Fired[] = [];
  const loop = new ScheduleLoop({
    db: database.db,
    log: silentLogger(),
    now: () => new Date(clock.now),
    fire: realFire,
    ...over,
  });
  loop.on('fired', (f) => fired.push({ project: f.projectId, schedule: f.schedule, dueAt: f.dueAt.toISOString() }));
  loops.push(loop);
  return { loop, fired };
}

async function project(name: string, schedules: Schedule[]) {
  return insertProject(database.db, { name, repoUrl: 'file:///nowhere', schedules });
}

const advance = (ms: number) => (clock.now = new Date(clock.now.getTime() + ms));
const setClock = (iso: string) => (clock.now = new Date(iso));
const firingOf = async (projectId: string, name: string) =>
  (await database.db.select().from(scheduleFirings).where(eq(scheduleFirings.projectId, projectId))).find((r) => r.name === name)?.lastDueAt;

/** The jobs of a project created by a schedule's due time (dedup key set), as `<schedule>@<due>`. */
async function firedJobs(projectId: string): Promise<string[]> {
  const rows = await database.db.select({ key: jobs.dedupKey }).from(jobs)
    .where(and(eq(jobs.projectId, projectId), isNotNull(jobs.dedupKey)));
  return rows.map((r) => r.key!.replace(/^cron:/, '')).sort();
}

/** The next `fired` event of `loop`. */
const nextFiring = (loop: ScheduleLoop) => new Promise<Firing>((resolve) => loop.once('fired', resolve));

/** A logger that keeps its records (debug and up). */
function recordingLogger() {
  const records: { level: number; msg: string }[] = [];
  const log = pino({ level: 'debug' }, { write: (line: string) => void records.push(JSON.parse(line)) });
  return { log, records, errors: () => records.filter((r) => r.level >= 50).map((r) => r.msg) };
}

/** An error as the driver throws it when the connection to the database breaks. */
const connectionError = () => Object.assign(new Error('Connection terminated unexpectedly'), { code: '08006' });

before(async () => {
  database = await createTestDatabase();
  const hub = new DroneHub();
  control = new JobControl({ db: database.db, lifecycle: new JobLifecycle({ db: database.db, bus: new LiveBus(), hub, log: silentLogger() }), hub, log: silentLogger() });
});
// Each test's loops stop with it: a timer of one must not run a pass in the next.
afterEach(async () => {
  await Promise.all(loops.splice(0).map((l) => l.stop()));
});
after(async () => {
  await database?.close();
});
beforeEach(() => setClock('2026-03-02T10:00:00.250Z'));

describe('the schedule loop', () => {
  it('records a new schedule\'s baseline without firing for the past, then fires each due time once', async () => {
    const p = await project('hourly', [{ name: 'h', cron: '0 * * * *', timezone: 'UTC' }]);
    const { loop, fired } = makeLoop();
    await loop.runPass();
    assert.deepEqual(fired, [], 'no firing for 10:00, which was before the schedule was seen');
    assert.equal((await firingOf(p.id, 'h'))?.toISOString(), '2026-03-02T10:00:00.250Z');
    assert.equal(loop.nextAt?.toISOString(), '2026-03-02T11:00:00.000Z');

    setClock('2026-03-02T11:00:00.001Z');
    await loop.runPass();
    await loop.runPass();
    assert.deepEqual(fired, [{ project: p.id, schedule: 'h', dueAt: '2026-03-02T11:00:00.000Z' }]);
    assert.deepEqual(await firedJobs(p.id), ['h@2026-03-02T11:00:00.000Z']);
    assert.equal(loop.nextAt?.toISOString(), '2026-03-02T12:00:00.000Z');
    await updateProject(database.db, p.id, { schedules: [] });
  });

  it('fires a schedule missed while no queen ran once, for its latest due time', async () => {
    const p = await project('missed', [{ name: 'every minute', cron: '* * * * *', timezone: 'UTC' }]);
    const first = makeLoop();
    await first.loop.runPass();
    await first.loop.stop();

    advance(3 * 24 * 3600_000); // three days down: 4320 due times passed
    const { loop, fired } = makeLoop();
    await loop.runPass();
    assert.deepEqual(fired, [{ project: p.id, schedule: 'every minute', dueAt: '2026-03-05T10:00:00.000Z' }]);
    await loop.runPass();
    assert.equal(fired.length, 1);
    await updateProject(database.db, p.id, { schedules: [] });
  });

  it('never fires a disabled schedule, and does not catch up when it is enabled again', async () => {
    const off: Schedule = { name: 'off', cron: '*/5 * * * * *', timezone: 'UTC', enabled: false };
    const p = await project('disabled', [off]);
    const { loop, fired } = makeLoop();
    await loop.runPass();
    advance(60_000);
    await loop.runPass();
    assert.deepEqual(fired, []);
    assert.equal(loop.nextAt, null, 'nothing to wake up for');

    // Enabled again (as the API does it): fires from now on, not for the minute it was off.
    await loop.changing(p.id, [off], [{ ...off, enabled: true }]);
    await updateProject(database.db, p.id, { schedules: [{ ...off, enabled: true }] });
    await loop.runPass();
    assert.deepEqual(fired, []);
    advance(5000);
    await loop.runPass();
    assert.equal(fired.length, 1);
    await updateProject(database.db, p.id, { schedules: [] });
  });

  it('does not fire for the past when a schedule\'s expression changes', async () => {
    const daily: Schedule = { name: 'daily', cron: '0 3 * * *', timezone: 'UTC' };
    const p = await project('edited', [daily]);
    const { loop, fired } = makeLoop();
    await loop.runPass(); // baseline at 10:00
    // 10:00 → 04:00: today's 04:00 passed after its last due time (03:00), but before the edit.
    const changed = { ...daily, cron: '0 4 * * *' };
    await loop.changing(p.id, [daily], [changed]);
    await updateProject(database.db, p.id, { schedules: [changed] });
    await loop.runPass();
    assert.deepEqual(fired, []);
    assert.equal(loop.nextAt?.toISOString(), '2026-03-03T04:00:00.000Z');

    // Removed: its firing is forgotten.
    await loop.changing(p.id, [changed], []);
    await updateProject(database.db, p.id, { schedules: [] });
    assert.equal(await firingOf(p.id, 'daily'), undefined);
  });

  it('fires each due time once with two loops (queens) on one database', async () => {
    const p = await project('shared', [{ name: 'fast', cron: '* * * * * *', timezone: 'UTC' }]);
    const a = makeLoop();
    const b = makeLoop();
    await Promise.all([a.loop.runPass(), b.loop.runPass()]);
    for (let i = 0; i < 10; i++) {
      advance(1000);
      await Promise.all([a.loop.runPass(), b.loop.runPass(), a.loop.runPass(), b.loop.runPass()]);
    }
    const all = [...a.fired, ...b.fired].map((f) => f.dueAt).sort();
    assert.equal(all.length, 10);
    assert.equal(new Set(all).size, 10, 'no due time fired twice');
    const made = await firedJobs(p.id);
    assert.equal(made.length, 10, 'one job per due time');
    assert.deepEqual(made, all.map((due) => `fast@${due}`));
    await updateProject(database.db, p.id, { schedules: [] });
  });

  it('makes one job when two loops (queens) both try to create the same due time\'s job', async () => {
    const p = await project('raced', [{ name: 'r', cron: '0 * * * *', timezone: 'UTC' }]);
    // Both loops read the firing as unrecorded and reach the insert before either records it.
    let arrived = 0;
    let release!: () => void;
    const bothThere = new Promise<void>((resolve) => (release = resolve));
    // Bounded: a loop that never reaches the insert (the old claim-first code) fails the test, not hangs it.
    const giveUp = setTimeout(() => release(), 5000);
    const racing: ScheduleLoopDeps['fire'] = async (...args) => {
      if (++arrived === 2) release();
      await bothThere;
      clearTimeout(giveUp);
      return realFire(...args);
    };
    const a = makeLoop({ fire: racing });
    const b = makeLoop({ fire: racing });
    await a.loop.runPass();
    setClock('2026-03-02T11:00:00.500Z');
    await Promise.all([a.loop.runPass(), b.loop.runPass()]);
    assert.equal(arrived, 2, 'both tried');
    assert.deepEqual(await firedJobs(p.id), ['r@2026-03-02T11:00:00.000Z']);
    assert.equal(a.fired.length + b.fired.length, 1);
    assert.equal((await firingOf(p.id, 'r'))?.toISOString(), '2026-03-02T11:00:00.000Z');
    await updateProject(database.db, p.id, { schedules: [] });
  });

  it('sleeps until the earliest next due time of all schedules, in their zones', async () => {
    const p = await project('zones', [
      { name: 'tokyo', cron: '0 20 * * *', timezone: 'Asia/Tokyo' }, // 11:00 UTC
      { name: 'later', cron: '0 12 * * *', timezone: 'UTC' },
      { name: 'disabled', cron: '* * * * * *', enabled: false },
    ]);
    const { loop } = makeLoop();
    const pass = new Promise((resolve) => loop.once('pass', resolve));
    await loop.runPass();
    assert.deepEqual(await pass, { fired: 0, nextAt: new Date('2026-03-02T11:00:00.000Z') });
    await updateProject(database.db, p.id, { schedules: [] });
  });

  it('retries a firing whose job could not be created (the database away) with a backoff, making one job', async () => {
    const p = await project('blip', [{ name: 'b', cron: '0 * * * *', timezone: 'UTC' }]);
    let calls = 0;
    const { log, records } = recordingLogger();
    const { loop, fired } = makeLoop({
      log,
      retryMs: { first: 20, max: 80 },
      fire: async (...args) => {
        calls++;
        if (calls === 1) throw connectionError();
        return realFire(...args);
      },
    });
    await loop.runPass();
    setClock('2026-03-02T11:00:00.500Z');
    await loop.runPass();
    assert.equal(calls, 1);
    assert.deepEqual(await firedJobs(p.id), []);
    assert.equal(loop.nextAt?.toISOString(), '2026-03-02T11:00:00.520Z', 'the timer is armed for the retry, not for 12:00');
    assert.ok(records.some((r) => r.level === 40 && /trying again/.test(r.msg)), 'the failure is logged as a warning');
    // The retry waits for its time: a pass before it does not try.
    await loop.runPass();
    assert.equal(calls, 1);

    const firing = nextFiring(loop);
    advance(20); // the armed timer's pass now finds the retry due
    assert.equal((await firing).dueAt.toISOString(), '2026-03-02T11:00:00.000Z');
    await loop.runPass();
    assert.equal(calls, 2);
    assert.deepEqual(fired.map((f) => f.dueAt), ['2026-03-02T11:00:00.000Z']);
    assert.deepEqual(await firedJobs(p.id), ['b@2026-03-02T11:00:00.000Z']);
    assert.equal((await firingOf(p.id, 'b'))?.toISOString(), '2026-03-02T11:00:00.000Z');
    assert.equal(loop.nextAt?.toISOString(), '2026-03-02T12:00:00.000Z');
    await updateProject(database.db, p.id, { schedules: [] });
  });

  it('makes one job when the job was inserted but its answer was lost (retried: the dedup key says it fired)', async () => {
    const p = await project('lost answer', [{ name: 'l', cron: '0 * * * *', timezone: 'UTC' }]);
    let calls = 0;
    const { loop, fired } = makeLoop({
      retryMs: { first: 10, max: 10 },
      fire: async (...args) => {
        calls++;
        const job = await realFire(...args);
        if (calls === 1) throw connectionError(); // the insert committed; its reply never came
        return job;
      },
    });
    await loop.runPass();
    setClock('2026-03-02T11:00:00.500Z');
    await loop.runPass();
    assert.deepEqual(await firedJobs(p.id), ['l@2026-03-02T11:00:00.000Z']);
    assert.ok((await firingOf(p.id, 'l'))! < new Date('2026-03-02T11:00:00Z'), 'not recorded yet');
    advance(10);
    await loop.runPass();
    assert.equal(calls, 2);
    assert.deepEqual(await firedJobs(p.id), ['l@2026-03-02T11:00:00.000Z'], 'the retry made no second job');
    assert.equal((await firingOf(p.id, 'l'))?.toISOString(), '2026-03-02T11:00:00.000Z');
    assert.deepEqual(fired, [], 'no job was made by this loop after all');
    await updateProject(database.db, p.id, { schedules: [] });
  });

  it('makes exactly one job after a queen died between the job\'s insert and the firing\'s record', async () => {
    const p = await project('crashed', [{ name: 'c', cron: '0 * * * *', timezone: 'UTC' }]);
    const first = makeLoop();
    await first.loop.runPass(); // baseline 10:00
    await first.loop.stop();
    // What the dead queen left: the job of 11:00 inserted, the firing still at the baseline.
    setClock('2026-03-02T11:00:00.500Z');
    const schedule = p.schedules[0]!;
    await fireDueSchedule(control, { ...p }, schedule, new Date('2026-03-02T11:00:00.000Z'));
    assert.equal((await firingOf(p.id, 'c'))?.toISOString(), '2026-03-02T10:00:00.250Z');

    const { loop, fired } = makeLoop();
    await loop.runPass();
    await loop.runPass();
    assert.deepEqual(await firedJobs(p.id), ['c@2026-03-02T11:00:00.000Z'], 'one job, never zero, never two');
    assert.equal((await firingOf(p.id, 'c'))?.toISOString(), '2026-03-02T11:00:00.000Z', 'the firing is recorded');
    assert.deepEqual(fired, []);

    // And the schedule goes on.
    setClock('2026-03-02T12:00:00.500Z');
    await loop.runPass();
    assert.deepEqual(await firedJobs(p.id), ['c@2026-03-02T11:00:00.000Z', 'c@2026-03-02T12:00:00.000Z']);
    await updateProject(database.db, p.id, { schedules: [] });
  });

  it('makes exactly one job when a queen died during the firing, before its insert', async () => {
    const p = await project('died early', [{ name: 'e', cron: '0 * * * *', timezone: 'UTC' }]);
    // The first queen's firing never completes: it died on the way to the insert.
    let bury!: (err: Error) => void;
    const dying = makeLoop({ fire: () => new Promise((_resolve, reject) => (bury = reject)) });
    await dying.loop.runPass();
    setClock('2026-03-02T11:00:00.500Z');
    dying.loop.kick();
    while (!bury) await new Promise((resolve) => setImmediate(resolve));

    const { loop } = makeLoop();
    await loop.runPass();
    assert.deepEqual(await firedJobs(p.id), ['e@2026-03-02T11:00:00.000Z'], 'the next queen fired it: one job, not zero');
    assert.equal((await firingOf(p.id, 'e'))?.toISOString(), '2026-03-02T11:00:00.000Z');
    bury(connectionError()); // lets the pass end, so the loop can be stopped
    await updateProject(database.db, p.id, { schedules: [] });
  });

  it('logs a permanent failure (params no longer allowed) once, skips that due time, and fires the next', async () => {
    const parameters = [{ name: 'TARGET', choices: ['a', 'b'] }];
    const p = await insertProject(database.db, {
      name: 'refused', repoUrl: 'file:///nowhere', parameters,
      schedules: [{ name: 'r', cron: '0 * * * *', timezone: 'UTC', params: { TARGET: 'b' } }, { name: 'good', cron: '0 * * * *', timezone: 'UTC' }],
    });
    let calls = 0;
    const { log, errors } = recordingLogger();
    const { loop, fired } = makeLoop({
      log,
      retryMs: { first: 1, max: 1 },
      fire: async (...args) => {
        if (args[1].name === 'r') calls++;
        return realFire(...args);
      },
    });
    await loop.runPass();
    // Changed behind the API's back (as a schedule stored before a check existed would be).
    await updateProject(database.db, p.id, { parameters: [{ name: 'TARGET', choices: ['a'] }] });
    setClock('2026-03-02T11:00:05Z');
    await loop.runPass();
    advance(10);
    await loop.runPass();
    await loop.runPass();
    assert.equal(calls, 1, 'tried once, not retried');
    assert.deepEqual(errors(), ['schedule was due but its job cannot be created; this due time is skipped']);
    assert.equal((await firingOf(p.id, 'r'))?.toISOString(), '2026-03-02T11:00:00.000Z', 'the due time is consumed');
    assert.deepEqual(await firedJobs(p.id), ['good@2026-03-02T11:00:00.000Z']);
    assert.equal(loop.nextAt?.toISOString(), '2026-03-02T12:00:00.000Z');

    await updateProject(database.db, p.id, { parameters });
    setClock('2026-03-02T12:00:05Z');
    await loop.runPass();
    assert.deepEqual(await firedJobs(p.id), ['good@2026-03-02T11:00:00.000Z', 'good@2026-03-02T12:00:00.000Z', 'r@2026-03-02T12:00:00.000Z']);
    assert.equal(fired.length, 3);
    await updateProject(database.db, p.id, { schedules: [] });
  });

  it('consumes the due time of a project deleted before its job was made', async () => {
    const p = await project('deleted', [{ name: 'd', cron: '0 * * * *', timezone: 'UTC' }]);
    let calls = 0;
    const { log, errors } = recordingLogger();
    const { loop } = makeLoop({
      log,
      fire: async (...args) => {
        calls++;
        await database.db.delete(projects).where(eq(projects.id, p.id));
        return realFire(...args);
      },
    });
    await loop.runPass();
    setClock('2026-03-02T11:00:05Z');
    await loop.runPass();
    await loop.runPass();
    assert.equal(calls, 1);
    assert.equal(errors().length, 1);
    assert.equal(loop.nextAt, null);
  });

  it('skips a stored expression it cannot read and fires the others', async () => {
    const p = await project('bad stored', [{ name: 'bad', cron: 'not a cron' }, { name: 'ok', cron: '0 * * * *', timezone: 'UTC' }]);
    const { loop, fired } = makeLoop();
    await loop.runPass();
    setClock('2026-03-02T11:00:00Z');
    await loop.runPass();
    assert.deepEqual(fired.map((f) => f.schedule), ['ok']);
    await updateProject(database.db, p.id, { schedules: [] });
  });
});
