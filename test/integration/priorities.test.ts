/**
 * The queue's order and its limits, through a real queen and real drones: priorities,
 * aging, per-project concurrency limits, and the reasons `GET /api/queue`, the job API
 * and the build page give for a job that waits.
 */
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { sql } from 'drizzle-orm';
import { connectDrone, type TestDrone } from '../helpers/drone-process.ts';
import { createGitRepo, type GitRepo } from '../helpers/git-repo.ts';
import { startTestQueen, type TestQueen } from '../helpers/queen.ts';
import { logIn, webRequest } from '../helpers/web-session.ts';
import type { Job } from '../../server/db/jobs.ts';
import { createJobGates, GATE_SCRIPT, GATED_COMMAND, type JobGates } from '../helpers/job-gates.ts';

const PASSWORD = 'priorities-password';
let queen: TestQueen;
let drones: TestDrone[] = [];
let repo: GitRepo;
let gates: JobGates;

before(async () => {
  queen = await startTestQueen({ HIVE_ADMIN_PASSWORD: PASSWORD });
  gates = await createJobGates();
  // Each job's command waits until the test opens its gate (a file named after the job).
  repo = await createGitRepo({ files: { 'wait.sh': GATE_SCRIPT + 'echo "passed gate $1"\n' } });
  drones = [
    await connectDrone(queen, { name: 'one-slot', capacity: 1, labels: ['narrow'] }),
    await connectDrone(queen, { name: 'three-slots', capacity: 3, labels: ['wide'] }),
  ];
});
after(async () => {
  await Promise.all(drones.map((d) => d.stop()));
  await queen?.stop();
  await repo?.cleanup();
  await gates?.remove();
});

async function project(name: string, labels: string[], extra: Record<string, unknown> = {}) {
  const res = await queen.api('POST', '/api/projects', {
    name, repoUrl: repo.url, config: { env: gates.env, labels, phases: { test: [GATED_COMMAND] } }, ...extra,
  });
  assert.equal(res.status, 201, res.text);
  return res.body.id as string;
}
async function trigger(projectId: string, body: Record<string, unknown> = {}) {
  const res = await queen.api('POST', `/api/projects/${projectId}/jobs`, body);
  assert.equal(res.status, 201, res.text);
  return res.body.id as string;
}
const open = (jobId: string) => gates.open(jobId);
async function settle() {
  await queen.resolver.settled();
  await queen.dispatcher.settled();
}
async function queue() {
  const res = await queen.api('GET', '/api/queue');
  assert.equal(res.status, 200, res.text);
  return res.body.jobs as { id: string; position: number; priority: number; effectivePriority: number; waitingFor: string }[];
}
/** Opens every gate, lets the blocker go, and returns the jobs in the order they were assigned. */
async function releaseAndOrder(blocker: string, queued: string[]): Promise<string[]> {
  await Promise.all(queued.map(open));
  await open(blocker);
  const done: Job[] = [];
  for (const id of queued) done.push(await queen.waitForJob(id));
  for (const j of done) assert.equal(j.status, 'passed', `${j.id}: ${j.message}`);
  return done.sort((a, b) => a.assignedAt!.getTime() - b.assignedAt!.getTime()).map((j) => j.id);
}

it('dispatches by priority, ties to the older job, and says why each waits', async () => {
  const p = await project('ordered', ['narrow']);
  const blocker = await trigger(p);
  await queen.waitForJob(blocker, ['running']);
  const a = await trigger(p);
  const b = await trigger(p, { priority: 10 });
  const c = await trigger(p);
  const d = await trigger(p, { priority: 10 });
  const e = await trigger(p, { priority: -5 });
  await settle();

  const listed = await queue();
  assert.deepEqual(listed.map((j) => j.id), [b, d, a, c, e]);
  assert.deepEqual(listed.map((j) => j.position), [1, 2, 3, 4, 5]);
  assert.deepEqual(listed.map((j) => j.priority), [10, 10, 0, 0, -5]);
  for (const j of listed) assert.equal(j.waitingFor, 'every eligible drone is full (1 drone, 1 slot)');
  const detail = await queen.api('GET', `/api/jobs/${a}`);
  assert.equal(detail.body.waitingFor, 'every eligible drone is full (1 drone, 1 slot)');
  assert.equal(detail.body.position, 3);

  // The build page says it too.
  const session = await logIn(queen.url, 'admin', PASSWORD);
  const page = await (await webRequest(queen.url, `/builds/${a}`, { session })).text();
  assert.match(page, /Waiting: every eligible drone is full \(1 drone, 1 slot\) · number 3 in the queue/);

  assert.deepEqual(await releaseAndOrder(blocker, [a, b, c, d, e]), [b, d, a, c, e]);
});

it('ages waiting jobs a point a minute, so an old low-priority job passes newer higher ones', async () => {
  const p = await project('aging', ['narrow']);
  const blocker = await trigger(p);
  await queen.waitForJob(blocker, ['running']);
  const old = await trigger(p, { priority: -10 });
  // As if it had been queued 45 minutes ago: effective priority −10 + 45 = 35.
  await queen.testDb.db.execute(sql`update jobs set created_at = created_at - interval '45 minutes',
    queue_key = queue_key - interval '45 minutes' where id = ${old}`);
  const higher = await trigger(p, { priority: 20 });
  const highest = await trigger(p, { priority: 50 });
  await settle();
  const listed = await queue();
  assert.deepEqual(listed.map((j) => [j.id, j.effectivePriority]), [[highest, 50], [old, 35], [higher, 20]]);
  assert.deepEqual(await releaseAndOrder(blocker, [old, higher, highest]), [highest, old, higher]);
});

it("uses the project's default priority when a trigger names none, and refuses one out of range", async () => {
  const p = await project('defaulted', ['narrow'], { defaultPriority: 7 });
  assert.equal((await queen.api('GET', `/api/projects/${p}`)).body.defaultPriority, 7);
  const blocker = await trigger(p);
  await queen.waitForJob(blocker, ['running']);
  const implicit = await trigger(p);
  const explicit = await trigger(p, { priority: -1 });
  const bad = await queen.api('POST', `/api/projects/${p}/jobs`, { priority: 101 });
  assert.equal(bad.status, 400);
  assert.match(bad.text, /priority/);
  await settle();
  assert.deepEqual((await queue()).map((j) => [j.id, j.priority]), [[implicit, 7], [explicit, -1]]);
  await releaseAndOrder(blocker, [implicit, explicit]);
});

it('never runs more of a project than maxConcurrent, while other projects use the free slots', async () => {
  const limited = await project('limited', ['wide'], { maxConcurrent: 1 });
  const other = await project('unlimited', ['wide']);
  // Every status change, in order, from before the first trigger: a job can be assigned
  // before its trigger's answer arrives, so which jobs count is decided afterwards.
  const changes: { id: string; status: string }[] = [];
  const onStatus = (job: Job) => changes.push({ id: job.id, status: job.status });
  /** The most of these jobs that were assigned or running at once. */
  const mostAtOnce = (ids: readonly string[]) => {
    const seen = new Map<string, string>();
    let active = 0;
    let most = 0;
    for (const { id, status } of changes) {
      if (!ids.includes(id)) continue;
      const before = seen.get(id);
      seen.set(id, status);
      const wasActive = before === 'assigned' || before === 'running';
      const isActive = status === 'assigned' || status === 'running';
      active += Number(isActive) - Number(wasActive);
      most = Math.max(most, active);
    }
    return most;
  };
  queen.bus.on('job-status', onStatus);
  try {
    const jobs: string[] = [];
    for (let i = 0; i < 3; i++) jobs.push(await trigger(limited));
    await queen.waitForJob(jobs[0], ['running']);
    await settle();
    const listed = await queue();
    assert.deepEqual(listed.map((j) => j.id), jobs.slice(1));
    for (const j of listed) assert.equal(j.waitingFor, 'project limit reached: 1 of 1 running');

    // Another project's job takes one of the two free slots at once.
    const free = await trigger(other);
    await queen.waitForJob(free, ['running']);
    await open(free);
    assert.equal((await queen.waitForJob(free)).status, 'passed');

    for (const id of jobs) await open(id);
    for (const id of jobs) assert.equal((await queen.waitForJob(id)).status, 'passed');
    assert.equal(mostAtOnce(jobs), 1, 'never two of the limited project at once');

    // Lifting the limit lets its jobs run side by side.
    assert.equal((await queen.api('PATCH', `/api/projects/${limited}`, { maxConcurrent: null })).body.maxConcurrent, null);
    const side = [await trigger(limited), await trigger(limited)];
    for (const id of side) await queen.waitForJob(id, ['running']);
    for (const id of side) await open(id);
    for (const id of side) assert.equal((await queen.waitForJob(id)).status, 'passed');
    assert.equal(mostAtOnce(side), 2);
  } finally {
    queen.bus.off('job-status', onStatus);
  }
});

it('names the label no connected drone has', async () => {
  const p = await project('needs-gpu', ['gpu']);
  const id = await trigger(p);
  await settle();
  const entry = (await queue()).find((j) => j.id === id);
  assert.equal(entry?.waitingFor, 'no connected drone has label gpu');
  assert.equal((await queen.api('POST', `/api/jobs/${id}/cancel`)).status, 200);
  assert.equal((await queue()).some((j) => j.id === id), false);
});
