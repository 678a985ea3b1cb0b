/**
 * A project's registry logins (server/jobs/registry-logins.ts) against a real queen and
 * database: set, changed and removed per registry through the API, shown without their
 * passwords, stored sealed, refused when malformed; and delivered in a job's assignment
 * only — never in the stored spec — and never to a fork's build.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { JobAssign, JobSpec } from '../../common/protocol/index.ts';
import { SecretBox } from '../../server/auth/secret-box.ts';
import type { Job } from '../../server/db/jobs.ts';
import { findJob } from '../../server/db/jobs.ts';
import { findProject, type Project } from '../../server/db/projects.ts';
import { assignmentSpec } from '../../server/jobs/assignment-spec.ts';
import { mergeRegistryLogins } from '../../server/jobs/registry-logins.ts';
import { createGitRepo, type GitRepo } from '../helpers/git-repo.ts';
import { startTestQueen, type TestQueen } from '../helpers/queen.ts';
import { openRawDrone } from '../helpers/raw-drone.ts';

const PASSWORD = 'ghp_registry-password-0123456789';
let queen: TestQueen;
let repo: GitRepo;

before(async () => {
  queen = await startTestQueen();
  repo = await createGitRepo({ files: { README: 'x\n' } });
});
after(async () => {
  await queen?.stop();
  await repo?.cleanup();
});

let names = 0;
async function newProject(extra: object = {}) {
  const res = await queen.api('POST', '/api/projects', { name: `registry-${++names}`, repoUrl: repo.url, config: { phases: { test: ['true'] } }, ...extra });
  assert.equal(res.status, 201, res.text);
  return res.body as { id: string; registryLogins: { registry: string; username: string }[] };
}

describe('a project\'s registry logins', () => {
  it('are set, changed and removed per registry, shown without passwords and stored sealed', async () => {
    const created = await newProject({ registryLogins: { 'ghcr.io': { username: 'acme-ci', password: PASSWORD } } });
    assert.deepEqual(created.registryLogins, [{ registry: 'ghcr.io', username: 'acme-ci' }]);
    assert.ok(!JSON.stringify(created).includes(PASSWORD));

    // Docker Hub under any of its names is one registry; another login leaves the first alone.
    const changed = await queen.api('PATCH', `/api/projects/${created.id}`, {
      registryLogins: { 'https://index.docker.io/v1/': { username: 'hubby', password: 'hub-pass' }, 'registry.example.com:5000': { username: 'r', password: 'p' } },
    });
    assert.equal(changed.status, 200, changed.text);
    assert.deepEqual(changed.body.registryLogins, [
      { registry: 'docker.io', username: 'hubby' }, { registry: 'ghcr.io', username: 'acme-ci' }, { registry: 'registry.example.com:5000', username: 'r' },
    ]);
    const removed = await queen.api('PATCH', `/api/projects/${created.id}`, { registryLogins: { 'registry.example.com:5000': null } });
    assert.deepEqual(removed.body.registryLogins.map((l: { registry: string }) => l.registry), ['docker.io', 'ghcr.io']);

    const stored = (await findProject(queen.testDb.db, created.id))!;
    assert.ok(!JSON.stringify(stored).includes(PASSWORD), 'the password is sealed in the database');
    assert.equal(queen.secretBox.open(stored.registryLoginsEnc['ghcr.io'].passwordEnc), PASSWORD);
    const page = await queen.api('GET', `/api/projects/${created.id}`);
    assert.ok(!page.text.includes(PASSWORD) && !page.text.includes('hub-pass'));
  });

  it('refuses a malformed registry or login with a 400, changing nothing', async () => {
    const { id } = await newProject();
    for (const registryLogins of [
      { 'not a host': { username: 'u', password: 'p' } },
      { 'ghcr.io/acme': { username: 'u', password: 'p' } },
      { 'ghcr.io': { username: '', password: 'p' } },
      { 'ghcr.io': { username: 'u' } },
      { 'ghcr.io': { username: 'u', password: 'p', extra: 1 } },
      Object.fromEntries(Array.from({ length: 21 }, (_, i) => [`r${i}.example.com`, { username: 'u', password: 'p' }])),
    ]) {
      const res = await queen.api('PATCH', `/api/projects/${id}`, { registryLogins });
      assert.equal(res.status, 400, `${JSON.stringify(registryLogins).slice(0, 80)}: ${res.text}`);
    }
    assert.deepEqual((await queen.api('GET', `/api/projects/${id}`)).body.registryLogins, []);
  });

  it('go to the drone in the job\'s assignment only, never into the stored spec', async () => {
    const { id } = await newProject({ registryLogins: { 'ghcr.io': { username: 'acme-ci', password: PASSWORD } } });
    const drone = await openRawDrone(queen.port);
    try {
      await drone.hello({ name: 'registry-logins-drone', capacity: 1 });
      const jobId = (await queen.api('POST', `/api/projects/${id}/jobs`, {})).body.id as string;
      const assigned = await drone.waitFor<JobAssign>((m) => m.type === 'job:assign' && m.spec.jobId === jobId);
      assert.deepEqual(assigned.spec.registryLogins, [{ registry: 'ghcr.io', username: 'acme-ci', password: PASSWORD }]);
      const job = (await findJob(queen.testDb.db, jobId))!;
      assert.ok(!JSON.stringify(job).includes(PASSWORD), 'not in the stored job');
      assert.equal(job.spec!.registryLogins, undefined);
    } finally {
      drone.close();
    }
  });

  it('are never given to a fork\'s build', () => {
    const box = new SecretBox(randomBytes(32));
    const project = { registryLoginsEnc: mergeRegistryLogins(box, {}, { 'ghcr.io': { username: 'u', password: PASSWORD } }), secretsEnc: {}, cloneCredentialsEnc: null } as unknown as Project;
    const spec = { secrets: {}, checkout: { repoUrl: 'x', sha: 'y' } } as unknown as JobSpec;
    const ofBranch = { ref: { branch: 'main' }, plugins: [] } as unknown as Job;
    const ofFork = { ref: { pullRequest: { number: 7, fork: true } }, plugins: [] } as unknown as Job;
    assert.deepEqual(assignmentSpec(box, spec, ofBranch, project).registryLogins, [{ registry: 'ghcr.io', username: 'u', password: PASSWORD }]);
    assert.equal(assignmentSpec(box, spec, ofFork, project).registryLogins, undefined);
  });
});
