/**
 * Schedules on a real queen, in real time, with a real drone and git repository: set
 * through the project API (refused with the schedule's name when wrong), fired at their
 * due times as `cron` jobs, never when disabled, once per due time with two queens on one
 * PostgreSQL, once for a due time missed while the queen was stopped, and by hand with
 * `POST …/schedules/:name/run`. (schedule-loop.test.ts covers the timing with a fake clock.)
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { readFile } from 'node:fs/promises';
import { and, eq, sql } from 'drizzle-orm';
import { openDatabase } from '../../server/db/client.ts';
import { jobs, scheduleFirings } from '../../server/db/schema.ts';
import type { Firing } from '../../server/schedules/schedule-loop.ts';
import { connectDrone, type TestDrone } from '../helpers/drone-process.ts';
import { createGitRepo, type GitRepo } from '../helpers/git-repo.ts';
import { startTestQueen, type TestQueen } from '../helpers/queen.ts';
import { logIn, webRequest } from '../helpers/web-session.ts';

const PASSWORD = 'schedules-admin-password';
let queen: TestQueen;
let drone: TestDrone;
let repo: GitRepo;

before(async () => {
  queen = await startTestQueen({ HIVE_ADMIN_PASSWORD: PASSWORD });
  repo = await createGitRepo({ files: { '.hive.yml': 'phases:\n  test: echo "scheduled run of $HIVE_BRANCH"\n' } });
  drone = await connectDrone(queen, { name: 'timed', capacity: 2 });
});
after(async () => {
  await drone?.stop();
  await queen?.stop();
  await repo?.cleanup();
});

/** Resolves with the first `count` firings of `schedule` on these queens' loops. */
function firings(queens: TestQueen[], schedule: string, count: number, timeoutMs = 15_000): Promise<Firing[]> {
  return new Promise((resolve, reject) => {
    const seen: Firing[] = [];
    const listener = (f: Firing) => {
      if (f.schedule !== schedule) return;
      seen.push(f);
      if (seen.length === count) done();
    };
    const done = (err?: Error) => {
      clearTimeout(timer);
      for (const q of queens) q.schedules.off('fired', listener);
      if (err) reject(err);
      else resolve(seen);
    };
    const timer = setTimeout(() => done(new Error(`schedule "${schedule}" fired ${seen.length} of ${count} times within ${timeoutMs} ms`)), timeoutMs);
    for (const q of queens) q.schedules.on('fired', listener);
  });
}

async function createProject(name: string, extra: object) {
  const res = await queen.api('POST', '/api/projects', { name, repoUrl: repo.url, ...extra });
  assert.equal(res.status, 201, res.text);
  return res.body as { id: string; schedules: unknown[] };
}

async function cronJobs(db: TestQueen['testDb']['db'], projectId: string) {
  return db.select().from(jobs).where(and(eq(jobs.projectId, projectId), sql`${jobs.trigger}->'source'->>'type' = 'cron'`));
}

describe('schedules through the API', () => {
  it('refuses a bad cron expression with a 400 naming the schedule, and changes nothing', async () => {
    const bad = await queen.api('POST', '/api/projects', {
      name: 'bad cron', repoUrl: repo.url, schedules: [{ name: 'nightly', cron: '0 3 * *' }],
    });
    assert.equal(bad.status, 400);
    assert.match(bad.body.error.message, /^schedules\[0\]\.cron: schedule "nightly": "0 3 \* \*" has 4 fields/);
    assert.equal((await queen.api('GET', '/api/projects')).body.projects.some((p: { name: string }) => p.name === 'bad cron'), false);

    const project = await createProject('good cron', { schedules: [{ name: 'nightly', cron: '0 3 * * *', timezone: 'UTC' }] });
    for (const [schedules, pattern] of [
      [[{ name: 'nightly', cron: '99 * * * *' }], /schedules\[0\]\.cron: schedule "nightly": .*minute/],
      [[{ name: 'a', cron: '@daily' }, { name: 'a', cron: '@hourly' }], /schedules\[1\]\.name: schedule "a" is named twice/],
      [[{ name: 'tz', cron: '@daily', timezone: 'Atlantis/Capital' }], /schedules\[0\]\.timezone: schedule "tz": "Atlantis\/Capital" is not a time zone/],
      [[{ name: 'p', cron: '@daily', params: { NOPE: '1' } }], /schedules\[0\]\.params: schedule "p": undeclared parameter "NOPE"/],
    ] as const) {
      const res = await queen.api('PATCH', `/api/projects/${project.id}`, { schedules });
      assert.equal(res.status, 400, res.text);
      assert.match(res.body.error.message, pattern);
    }
    const stored = (await queen.api('GET', `/api/projects/${project.id}`)).body;
    assert.deepEqual(stored.schedules, [{ name: 'nightly', cron: '0 3 * * *', timezone: 'UTC' }]);
  });

  it('lists schedules with their next firing, and refuses parameters that would break one', async () => {
    const project = await createProject('listed', {
      parameters: [{ name: 'TARGET', choices: ['staging', 'prod'] }],
      schedules: [
        { name: 'nightly', cron: '0 3 * * *', timezone: 'UTC', branch: 'main', type: 'TEST_AND_DEPLOY', params: { TARGET: 'staging' } },
        { name: 'paused', cron: '*/5 * * * *', enabled: false },
      ],
    });
    const { schedules } = (await queen.api('GET', `/api/projects/${project.id}/schedules`)).body;
    assert.equal(schedules.length, 2);
    const [nightly, paused] = schedules;
    assert.equal(nightly.type, 'TEST_AND_DEPLOY');
    assert.equal(nightly.timezone, 'UTC');
    assert.match(nightly.nextAt, /T03:00:00\.000Z$/);
    assert.ok(Date.parse(nightly.nextAt) > Date.now() && Date.parse(nightly.nextAt) <= Date.now() + 24 * 3600_000);
    assert.equal(paused.enabled, false);
    assert.equal(paused.nextAt, null);

    // Dropping the choice a schedule uses would leave it unable to fire.
    const res = await queen.api('PATCH', `/api/projects/${project.id}`, { parameters: [{ name: 'TARGET', choices: ['prod'] }] });
    assert.equal(res.status, 400, res.text);
    assert.match(res.body.error.message, /schedules\[0\]\.params\.TARGET: schedule "nightly": "staging" is not one of the choices/);
  });

  it('runs a schedule now on request, as the user, and 404s for an unknown one', async () => {
    const project = await createProject('run now', { schedules: [{ name: 'weekly', cron: '0 4 * * 0', enabled: false, branch: 'main' }] });
    const res = await queen.api('POST', `/api/projects/${project.id}/schedules/weekly/run`);
    assert.equal(res.status, 201, res.text);
    assert.deepEqual(res.body.trigger.source, { type: 'cron', schedule: 'weekly' });
    assert.equal(res.body.trigger.author.username, 'admin');
    assert.equal(res.body.ref.branch, 'main');
    assert.equal((await queen.waitForJob(res.body.id)).status, 'passed');
    const missing = await queen.api('POST', `/api/projects/${project.id}/schedules/${encodeURIComponent('no such')}/run`);
    assert.equal(missing.status, 404);
    assert.match(missing.body.error.message, /no schedule named "no such"/);
  });
});

describe('firing', () => {
  it('fires a six-field schedule every two seconds as cron jobs that build, and never a disabled one', async () => {
    const fired = firings([queen], 'every 2 s', 2);
    const project = await createProject('ticking', {
      schedules: [
        { name: 'every 2 s', cron: '*/2 * * * * *' },
        { name: 'off', cron: '* * * * * *', enabled: false },
      ],
    });
    const [first, second] = await fired;
    assert.equal(second.dueAt.getTime() - first.dueAt.getTime(), 2000, 'consecutive due times');
    assert.equal(first.dueAt.getUTCSeconds() % 2, 0);
    const job = await queen.waitForJob(first.jobId);
    assert.equal(job.status, 'passed', job.message ?? '');
    assert.deepEqual(job.trigger.source, { type: 'cron', schedule: 'every 2 s' });
    assert.equal(job.trigger.author, undefined);
    assert.equal(job.ref.branch, 'main');
    assert.match((await queen.api('GET', `/api/jobs/${job.id}/log`)).text, /scheduled run of main/);

    // Stop it; in the meantime the disabled one never fired.
    await queen.api('PATCH', `/api/projects/${project.id}`, { schedules: [] });
    const all = await cronJobs(queen.testDb.db, project.id);
    assert.ok(all.length >= 2);
    assert.deepEqual(new Set(all.map((j) => j.trigger.source.schedule)), new Set(['every 2 s']));
  });

  it('shows the schedules on the project page and "scheduled (name)" as a build\'s trigger', async () => {
    const project = await createProject('on the page', { schedules: [{ name: 'nightly', cron: '0 3 * * *', timezone: 'UTC', branch: 'fix/<b>' }] });
    const jobId = (await queen.api('POST', `/api/projects/${project.id}/schedules/nightly/run`)).body.id;
    const session = await logIn(queen.url, 'admin', PASSWORD);
    const page = await (await webRequest(queen.url, `/projects/${project.id}`, { session })).text();
    assert.match(page, /nightly/);
    assert.match(page, /fix\/&lt;b&gt;/);
    assert.doesNotMatch(page, /fix\/<b>/);
    assert.match(page, /<code>0 3 \* \* \*<\/code>/);
    assert.match(page, /T03:00:00\.000Z/, 'the next firing');
    const build = await (await webRequest(queen.url, `/builds/${jobId}`, { session })).text();
    assert.match(build, /scheduled \(nightly\) by admin/);
  });

  it('fires a due time missed while the queen was stopped once at its next start', async () => {
    const first = await startTestQueen();
    const project = (await first.api('POST', '/api/projects', {
      name: 'missed', repoUrl: repo.url, schedules: [{ name: 'hourly', cron: '0 * * * *', timezone: 'UTC' }],
    })).body;
    await first.schedules.runPass(); // the baseline is stored
    await first.close();
    // Down for three hours: three due times passed.
    const threeHoursAgo = new Date(Date.now() - 3 * 3600_000);
    await first.testDb.db.update(scheduleFirings).set({ lastDueAt: threeHoursAgo }).where(eq(scheduleFirings.projectId, project.id));

    const second = await startTestQueen({}, { testDb: first.testDb, dataDir: first.dataDir });
    try {
      await second.schedules.runPass(); // after the start's pass
      await second.schedules.runPass();
      const fired = await cronJobs(second.testDb.db, project.id);
      assert.equal(fired.length, 1, 'once, not once per missed hour');
      const latestHour = new Date(Math.floor(Date.now() / 3600_000) * 3600_000);
      const [row] = await second.testDb.db.select().from(scheduleFirings).where(eq(scheduleFirings.projectId, project.id));
      assert.equal(row.lastDueAt.toISOString(), latestHour.toISOString());
    } finally {
      await second.stop();
    }
  });
});

describe('two queens on one PostgreSQL', { skip: process.env.TEST_DATABASE_URL ? false : 'needs PostgreSQL (set TEST_DATABASE_URL): queens share a database server' }, () => {
  it('fire each due time once between them', async () => {
    const a = await startTestQueen();
    const bDataDir = await mkdtemp(join(tmpdir(), 'hive-queen-b-'));
    const bDb = await openDatabase({ url: a.testDb.url!, maxConnections: 5 });
    const key = (await readFile(join(a.dataDir, 'secret.key'), 'utf8')).trim();
    const b = await startTestQueen({ HIVE_SECRET_KEY: key }, { testDb: { ...bDb }, dataDir: bDataDir });
    try {
      const all: Firing[] = [];
      const collect = (f: Firing) => all.push(f);
      a.schedules.on('fired', collect);
      b.schedules.on('fired', collect);
      const fired = firings([a, b], 'every second', 4);
      const project = (await a.api('POST', '/api/projects', {
        name: 'shared schedule', repoUrl: repo.url, schedules: [{ name: 'every second', cron: '* * * * * *' }],
      })).body;
      await fired;
      await a.api('PATCH', `/api/projects/${project.id}`, { schedules: [] });
      // Both loops have seen the change (B through NOTIFY or this pass); what fired, fired.
      await Promise.all([a.schedules.runPass(), b.schedules.runPass()]);
      const created = await cronJobs(a.testDb.db, project.id);
      assert.equal(created.length, all.length, 'a job per firing');
      const dueTimes = all.map((f) => f.dueAt.toISOString());
      assert.equal(new Set(dueTimes).size, dueTimes.length, `no due time fired twice: ${dueTimes.join(', ')}`);
      assert.deepEqual(new Set(created.map((j) => j.id)), new Set(all.map((f) => f.jobId)));
    } finally {
      await b.close();
      await bDb.close();
      await rm(bDataDir, { recursive: true, force: true });
      await a.stop();
    }
  });
});
