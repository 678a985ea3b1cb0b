/**
 * The schedule loop on a real database with a fake clock, so days pass in milliseconds
 * and every due time is exact: first sight records a baseline (no firing for the past),
 * a due schedule fires once, firings missed while no queen ran fire once, disabled
 * schedules never fire, two loops on one database fire each due time once, edits do not
 * fire for the past. (schedules.test.ts runs the same on a real queen in real time.)
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import { eq } from 'drizzle-orm';
import { insertProject, updateProject } from '../../server/db/projects.ts';
import { scheduleFirings } from '../../server/db/schema.ts';
import { silentLogger } from '../../server/logger.ts';
import { ScheduleLoop, type ScheduleLoopDeps } from '../../server/schedules/schedule-loop.ts';
import type { Schedule } from '../../server/schedules/schedule.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/test-db.ts';

let database: TestDatabase;
const clock = { now: new Date('2026-03-02T10:00:00.250Z') };
const loops: ScheduleLoop[] = [];

interface Fired { project: string; schedule: string; dueAt: string }

/** A loop on the test database and the fake clock; `fired` records what it fired. */
function makeLoop(over: Partial<ScheduleLoopDeps> = {}) {
  const fired: Fired[] = [];
  const loop = new ScheduleLoop({
    db: database.db,
    log: silentLogger(),
    now: () => new Date(clock.now),
    fire: async (project, schedule, dueAt) => {
      fired.push({ project: project.name, schedule: schedule.name, dueAt: dueAt.toISOString() });
      return { id: randomUUID() };
    },
    ...over,
  });
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

before(async () => {
  database = await createTestDatabase();
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
    assert.deepEqual(fired, [{ project: 'hourly', schedule: 'h', dueAt: '2026-03-02T11:00:00.000Z' }]);
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
    assert.deepEqual(fired, [{ project: 'missed', schedule: 'every minute', dueAt: '2026-03-05T10:00:00.000Z' }]);
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

  it('logs a firing whose job cannot be created and does not fire that due time again', async () => {
    const p = await project('broken', [{ name: 'b', cron: '0 * * * *', timezone: 'UTC' }, { name: 'good', cron: '0 * * * *', timezone: 'UTC' }]);
    let calls = 0;
    const { loop, fired } = makeLoop({
      fire: async (_project, schedule, dueAt) => {
        calls++;
        if (schedule.name === 'b') throw new Error('database away');
        fired.push({ project: 'broken', schedule: schedule.name, dueAt: dueAt.toISOString() });
        return { id: randomUUID() };
      },
    });
    await loop.runPass();
    setClock('2026-03-02T11:00:05Z');
    await loop.runPass();
    await loop.runPass();
    assert.equal(calls, 2, 'each schedule was tried once for 11:00');
    assert.deepEqual(fired.map((f) => f.schedule), ['good']);
    await updateProject(database.db, p.id, { schedules: [] });
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
