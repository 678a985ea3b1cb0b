/**
 * The trust boundary: a repository's `.hive.yml` — from any branch, or from a fork's pull
 * request — cannot obtain what only an admin may set: a privileged container, running
 * outside the project's container, lifted limits, or fewer drone labels. Such a job ends
 * `errored` naming the setting, before any drone sees it. A project an admin marked
 * trusted may ask, except for forks; what the admin set in the settings always holds.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { findJob, insertJob, type Job } from '../../server/db/jobs.ts';
import { createGitRepo, type GitRepo } from '../helpers/git-repo.ts';
import { startTestQueen, type TestQueen } from '../helpers/queen.ts';

let queen: TestQueen;
let repo: GitRepo;

const privilegedYml = 'plugins:\n  - name: docker\n    config: { image: "busybox", privileged: true }\n';

before(async () => {
  queen = await startTestQueen({ HIVE_PLUGINS: 'docker' });
  repo = await createGitRepo({ files: { 'a.txt': 'a' } });
  await repo.commit({ branch: 'evil', files: { '.hive.yml': privilegedYml } });
  await repo.commit({ branch: 'big-memory', files: { '.hive.yml': 'plugins:\n  - name: docker\n    config: { memoryMb: 4096 }\n' } });
  await repo.commit({ branch: 'small-memory', files: { '.hive.yml': 'plugins:\n  - name: docker\n    config: { memoryMb: 128 }\n' } });
  await repo.commit({ branch: 'no-container', files: { '.hive.yml': 'plugins:\n  - name: docker\n    enabled: false\n' } });
  await repo.commit({ branch: 'more-labels', files: { '.hive.yml': 'labels: [linux]\n' } });
  await repo.setRef('refs/pull/7/head', await repo.head('evil'));
  const notify = await repo.commit({ branch: 'notify', files: { '.hive.yml': 'plugins:\n  - name: webhook-notify\n    config: { url: "http://127.0.0.1:9/internal" }\n' } });
  await repo.setRef('refs/pull/8/head', notify);
});
after(async () => {
  await queen?.stop();
  await repo?.cleanup();
});

async function project(body: object): Promise<string> {
  const res = await queen.api('POST', '/api/projects', { name: `p${Math.random().toString(36).slice(2, 8)}`, repoUrl: repo.url, config: { phases: { test: ['true'] } }, ...body });
  assert.equal(res.status, 201, res.text);
  return res.body.id;
}

/** Triggers a build of a branch and returns the job once resolution is over: errored, or queued with its spec. */
async function resolve(projectId: string, branch: string): Promise<Job> {
  const res = await queen.api('POST', `/api/projects/${projectId}/jobs`, { branch });
  assert.equal(res.status, 201, res.text);
  return resolved(res.body.id);
}
async function resolved(jobId: string): Promise<Job> {
  await queen.resolver.settled();
  const job = await findJob(queen.database.db, jobId);
  assert.ok(job);
  return job;
}

const dockerProject = (config: Record<string, unknown>) => ({ plugins: [{ name: 'docker', enabled: true, config: { image: 'busybox', ...config } }], config: { phases: { test: ['true'] }, labels: ['sandbox'] } });

describe('.hive.yml against the trust boundary', () => {
  it('cannot ask for a privileged container: the job ends errored naming the field', async () => {
    const job = await resolve(await project({}), 'evil');
    assert.equal(job.status, 'errored');
    assert.match(job.message ?? '', /\.hive\.yml asks for trusted settings: container\.privileged/);
    assert.match(job.message ?? '', /only an admin can/);
    assert.equal(job.spec, null, 'nothing a drone could run was stored');
  });

  it('cannot lift the project\'s memory limit, but may lower it', async () => {
    const id = await project(dockerProject({ memoryMb: 256 }));
    const big = await resolve(id, 'big-memory');
    assert.equal(big.status, 'errored');
    assert.match(big.message ?? '', /container\.memoryMb \(4096 MiB where the project allows 256 MiB\)/);
    const small = await resolve(id, 'small-memory');
    assert.equal(small.status, 'queued', small.message ?? '');
    assert.equal(small.spec?.container?.memoryMb, 128);
  });

  it('cannot leave the project\'s container by disabling its plugin', async () => {
    const job = await resolve(await project(dockerProject({})), 'no-container');
    assert.equal(job.status, 'errored');
    assert.match(job.message ?? '', /image \(running outside the project's container \(busybox\)\)/);
    assert.match(job.message ?? '', /labels \(dropping the drone label docker/);
  });

  it('adds labels to the project\'s, never replaces them', async () => {
    const job = await resolve(await project(dockerProject({})), 'more-labels');
    assert.equal(job.status, 'queued', job.message ?? '');
    assert.deepEqual(job.spec?.requires.labels, ['docker', 'linux', 'sandbox']);
  });

  it('a trusted project may ask, and the job then needs a drone that allows privileged containers', async () => {
    const id = await project({ trusted: true });
    assert.equal((await queen.api('GET', `/api/projects/${id}`)).body.trusted, true);
    const job = await resolve(id, 'evil');
    assert.equal(job.status, 'queued', job.message ?? '');
    assert.equal(job.spec?.container?.privileged, true);
    assert.ok(job.spec?.requires.labels.includes('privileged'));
  });

  it('a pull request from a fork never gets trusted settings, even in a trusted project', async () => {
    const projectId = await project({ trusted: true });
    const inserted = await insertJob(queen.database.db, {
      projectId,
      type: 'TEST',
      ref: { refspec: '+refs/pull/7/head', pullRequest: { number: 7, baseBranch: 'main', headBranch: 'evil', fork: true } },
      trigger: { source: { type: 'webhook', provider: 'github' }, at: new Date().toISOString() },
    });
    queen.resolver.kick();
    const job = await resolved(inserted!.id);
    assert.equal(job.status, 'errored');
    assert.match(job.message ?? '', /container\.privileged .*pull requests from forks never get trusted settings/);
  });

  it('a fork\'s .hive.yml adds no hooks the queen would run (requests it would make)', async () => {
    const projectId = await project({});
    const forkJob = async (fork: boolean) => {
      const inserted = await insertJob(queen.database.db, {
        projectId,
        type: 'TEST',
        ref: { refspec: '+refs/pull/8/head', pullRequest: { number: 8, baseBranch: 'main', headBranch: 'notify', fork } },
        trigger: { source: { type: 'webhook', provider: 'github' }, at: new Date().toISOString() },
      });
      queen.resolver.kick();
      return resolved(inserted!.id);
    };
    const fromFork = await forkJob(true);
    assert.equal(fromFork.status, 'queued', fromFork.message ?? '');
    assert.deepEqual(fromFork.plugins, [], 'the project has no plugins, and the fork adds none to the queen');
    const fromBranch = await forkJob(false);
    assert.deepEqual(fromBranch.plugins.map((p) => p.name), ['webhook-notify'], 'a pull request from the repository itself may');
  });

  it('what an admin set in the settings holds, from any branch', async () => {
    const job = await resolve(await project(dockerProject({ privileged: true })), 'more-labels');
    assert.equal(job.status, 'queued', job.message ?? '');
    assert.equal(job.spec?.container?.privileged, true);
    assert.deepEqual(job.spec?.requires.labels, ['docker', 'linux', 'privileged', 'sandbox']);
  });

  it('trusted is a boolean of the project settings (which only admins change)', async () => {
    const id = await project({});
    const patched = await queen.api('PATCH', `/api/projects/${id}`, { trusted: true });
    assert.equal(patched.status, 200);
    assert.equal(patched.body.trusted, true);
    assert.equal((await queen.api('PATCH', `/api/projects/${id}`, { trusted: 'yes' })).status, 400);
  });
});
