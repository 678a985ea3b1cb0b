/**
 * What follows from a job's changes of state, whoever causes them: a drone refusing a
 * job is announced like any re-queue; hooks run the plugins the job was built with (also
 * one `.hive.yml` added, the README's example), not the project's settings of the moment;
 * an impossible change is a typed error that changes nothing; a lease that ran out while
 * its connected drone kept vouching for it (the database was away) is extended, not reaped.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { sql } from 'drizzle-orm';
import type { JobAssign } from '../../common/protocol/index.ts';
import { findJob, type Job } from '../../server/db/jobs.ts';
import { IllegalTransitionError } from '../../server/jobs/job-transitions.ts';
import { connectDrone } from '../helpers/drone-process.ts';
import { nextEvent } from '../helpers/events.ts';
import { createGitRepo, type GitRepo } from '../helpers/git-repo.ts';
import { startTestQueen, type TestQueen } from '../helpers/queen.ts';
import { openRawDrone } from '../helpers/raw-drone.ts';

let queen: TestQueen;
let repo: GitRepo;
let hookServer: Server;
let hookUrl: string;
/** Notifications received by the local webhook server: path → job ids. */
const received = new Map<string, string[]>();
const notified = new (await import('node:events')).EventEmitter();

before(async () => {
  hookServer = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const jobId = JSON.parse(body).job.id as string;
      received.set(req.url!, [...(received.get(req.url!) ?? []), jobId]);
      notified.emit('post', req.url, jobId);
      res.end('ok');
    });
  });
  await new Promise<void>((resolve) => hookServer.listen(0, '127.0.0.1', resolve));
  hookUrl = `http://127.0.0.1:${(hookServer.address() as AddressInfo).port}`;
  queen = await startTestQueen({ HIVE_LEASE_MS: '60000' });
  repo = await createGitRepo({ files: { 'a.txt': 'a' } });
  // The README's example, word for word but for the URL.
  await repo.commit({
    branch: 'release/1.0',
    files: { '.hive.yml': `branches:\n  "release/*":\n    env: { STAGE: release }\n    plugins:\n      - name: webhook-notify\n        config: { url: "${hookUrl}/releases" }\n` },
  });
});
after(async () => {
  await queen?.stop();
  await repo?.cleanup();
  await new Promise((resolve) => hookServer?.close(resolve));
});

async function newProject(body: object = {}): Promise<string> {
  const res = await queen.api('POST', '/api/projects', { name: `p${Math.random().toString(36).slice(2, 8)}`, repoUrl: repo.url, config: { phases: { test: ['true'] } }, ...body });
  assert.equal(res.status, 201, res.text);
  return res.body.id;
}
const trigger = async (projectId: string, body: object = {}) => (await queen.api('POST', `/api/projects/${projectId}/jobs`, body)).body.id as string;
const postFor = (path: string, jobId: string) => nextEvent(notified, 'post', (p: string, id: string) => p === path && id === jobId, 30_000);

describe('job lifecycle', () => {
  it('announces a job a drone refused as queued again, and assigns it anew', async () => {
    const projectId = await newProject();
    const drone = await openRawDrone(queen.port);
    try {
      await drone.hello({ name: 'refuser' });
      const jobId = await trigger(projectId);
      const a = await drone.waitFor<JobAssign>((m) => m.type === 'job:assign' && m.spec.jobId === jobId, 20_000);
      const requeued = nextEvent<[Job]>(queen.bus, 'job-status', (j) => j.id === jobId && j.status === 'queued');
      drone.send({ type: 'job:rejected', jobId, lease: a.lease, reason: 'no room today' });
      const [job] = await requeued;
      assert.equal(job.droneId, null);
      // The slot it held is free again, and the job goes out under a new lease.
      const again = await drone.waitFor<JobAssign>((m) => m.type === 'job:assign' && m.spec.jobId === jobId && m.lease !== a.lease, 20_000);
      assert.equal(again.spec.jobId, jobId);
    } finally {
      drone.close();
    }
  });

  it('refuses an impossible change with a typed error and changes nothing', async () => {
    const projectId = await newProject();
    const jobId = await trigger(projectId);
    await queen.control.cancel(jobId, 'a test');
    await assert.rejects(
      queen.lifecycle.finish(jobId, 'passed', 'done', { from: ['cancelled'] }),
      (err: unknown) => err instanceof IllegalTransitionError && err.from === 'cancelled' && err.to === 'passed',
    );
    assert.equal((await findJob(queen.database.db, jobId))?.status, 'cancelled');
  });

  it('gives a job its spec once: a second resolution (another queen\'s, late) changes nothing', async () => {
    const projectId = await newProject();
    const jobId = await trigger(projectId);
    await queen.resolver.settled();
    const resolved = (await findJob(queen.database.db, jobId))!;
    assert.ok(resolved.spec, 'resolved');
    // Whether it is still queued or already assigned: the spec it was given stays.
    await queen.database.db.execute(sql`update jobs set status = 'queued', drone_id = null, lease = null where id = ${jobId}`);
    const other = { ...resolved.spec!, env: { ...resolved.spec!.env, RESOLVED_BY: 'the other queen' } };
    assert.equal(await queen.lifecycle.resolved(jobId, other, resolved.ref, resolved.plugins ?? []), false);
    assert.deepEqual((await findJob(queen.database.db, jobId))!.spec, resolved.spec);
    await queen.control.cancel(jobId, 'a test');
  });

  it('runs the hooks of a plugin .hive.yml added in a branch section (the README example)', async () => {
    const projectId = await newProject();
    const drone = await connectDrone(queen, { name: 'hooks-drone' });
    try {
      const jobId = await trigger(projectId, { branch: 'release/1.0' });
      const post = postFor('/releases', jobId);
      const job = await queen.waitForJob(jobId);
      assert.equal(job.status, 'passed', job.message ?? '');
      await post;
      assert.deepEqual(job.plugins.map((p) => p.name), ['webhook-notify']);
    } finally {
      await drone.stop();
    }
  });

  it('runs the hooks the job was built with, even when the settings change before it ends', async () => {
    const projectId = await newProject({ plugins: [{ name: 'webhook-notify', enabled: true, config: { url: `${hookUrl}/settings` } }] });
    const jobId = await trigger(projectId);
    // Resolved with the plugin while no drone is there; then the plugin leaves the settings.
    await queen.resolver.settled();
    assert.ok((await findJob(queen.database.db, jobId))?.spec, 'resolved');
    assert.equal((await queen.api('PATCH', `/api/projects/${projectId}`, { plugins: [] })).status, 200);
    const post = postFor('/settings', jobId);
    const drone = await connectDrone(queen, { name: 'late-drone' });
    try {
      assert.equal((await queen.waitForJob(jobId)).status, 'passed');
      await post;
    } finally {
      await drone.stop();
    }
  });
});

describe('leases after a database outage', () => {
  it('extends a lease its connected drone vouched for, and reaps one nobody vouched for', async () => {
    const projectId = await newProject();
    const drone = await openRawDrone(queen.port);
    try {
      await drone.hello({ name: 'vouching', capacity: 2 });
      const ids = [await trigger(projectId), await trigger(projectId)];
      const assigns = await Promise.all(ids.map((id) => drone.waitFor<JobAssign>((m) => m.type === 'job:assign' && m.spec.jobId === id, 20_000)));
      for (const a of assigns) drone.send({ type: 'job:started', jobId: a.spec.jobId, lease: a.lease, seq: 1, at: Date.now() });
      // A heartbeat for the first job only; the ack of the event sent after it means it was handled.
      const [vouched, silent] = assigns;
      drone.send({ type: 'job:heartbeat', jobs: [{ jobId: vouched.spec.jobId, lease: vouched.lease }] });
      drone.send({ type: 'job:cmd:stdout', jobId: vouched.spec.jobId, lease: vouched.lease, seq: 2, at: Date.now(), cmd: 0, data: 'x\n' });
      await drone.waitFor((m) => m.type === 'job:ack' && m.jobId === vouched.spec.jobId && m.seq === 2);
      await drone.waitFor((m) => m.type === 'job:ack' && m.jobId === silent.spec.jobId && m.seq === 1);

      // The queen's own timers would race this test: a presence pass extends the vouched
      // lease (the heartbeat above is news to it) and a reaper pass judges both first.
      // This is the file's last test, so they stay stopped.
      await Promise.all([queen.presence.stop(), queen.reaper.stop()]);
      // As if the heartbeats' writes had failed for longer than the lease.
      await queen.database.db.execute(sql`update jobs set lease_expires_at = now() - interval '1 second' where id in (${ids[0]}, ${ids[1]})`);
      assert.deepEqual(await queen.reaper.check(), { reaped: 1, extended: 1 });
      const kept = await findJob(queen.database.db, vouched.spec.jobId);
      assert.equal(kept?.status, 'running');
      assert.ok(kept!.leaseExpiresAt! > new Date(), 'the lease runs again');
      const lost = await findJob(queen.database.db, silent.spec.jobId);
      assert.equal(lost?.status, 'errored');
      assert.match(lost?.message ?? '', /no heartbeat from drone vouching within the lease/);
    } finally {
      drone.close();
    }
  });
});
