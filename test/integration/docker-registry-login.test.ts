/**
 * Images from a registry that needs a login, pulled with the drone host's credentials
 * (drone/docker/registry-auth.ts) from a real engine, against a local registry that
 * refuses anonymous pulls (helpers/fake-registry.ts; no real registry is reachable):
 * the executor with the credentials of a `config.json`, without any, and with wrong
 * ones — the job errored, saying where credentials were looked for, the password
 * nowhere in its events — and a real drone process through the queen, finding its
 * configuration by `DOCKER_CONFIG` and its credentials through a credential helper on
 * its PATH. Skipped, with the reason, without an engine.
 */
import assert from 'node:assert/strict';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { JobEvent, JobSpec } from '../../common/protocol/index.ts';
import { RepoCache } from '../../drone/checkout.ts';
import { pickHostEnv } from '../../drone/config.ts';
import { DockerConfigLogins } from '../../drone/docker/registry-auth.ts';
import { DockerExecutor } from '../../drone/executors/docker.ts';
import { BUSYBOX_IMAGE, dockerSkipReason, removeLabelled, testDocker } from '../helpers/docker-engine.ts';
import { connectDrone, type TestDrone } from '../helpers/drone-process.ts';
import { startFakeRegistry, type FakeRegistry } from '../helpers/fake-registry.ts';
import { createGitRepo, type GitRepo } from '../helpers/git-repo.ts';
import { startTestQueen, type TestQueen } from '../helpers/queen.ts';
import { runJobForEvents } from '../helpers/run-job.ts';

const skip = await dockerSkipReason([BUSYBOX_IMAGE]);
const DRONE = `registry-login-${process.pid}`;
const USER = 'hive-ci';
const PASSWORD = 'pull-only:s3cr3t!';
/** A project's own login to the same registry (its user is another than the drone host's). */
const PROJECT_USER = 'acme-project';
const PROJECT_PASSWORD = 'project-pull-secret-42';

let dir: string;
let repo: GitRepo;
let registry: FakeRegistry;
let repos: RepoCache;
let jobs = 0;

before(async () => {
  if (skip) return;
  dir = await mkdtemp(join(os.tmpdir(), 'hive-registry-login-'));
  repo = await createGitRepo({ files: { 'README': 'registry\n' } });
  repos = new RepoCache({ dataDir: dir, hostEnv: pickHostEnv(process.env) });
  registry = await startFakeRegistry({ from: BUSYBOX_IMAGE, name: 'hive/private-busybox', tag: 'v1', logins: { [USER]: PASSWORD, [PROJECT_USER]: PROJECT_PASSWORD } });
});
after(async () => {
  if (skip) return;
  await registry?.close();
  await testDocker.getImage(registry.image).remove().catch(() => {});
  await removeLabelled(DRONE);
  await repo?.cleanup();
  await rm(dir, { recursive: true, force: true });
});

/** A Docker client configuration directory holding `config`; its config.json. */
async function dockerConfig(config: unknown): Promise<string> {
  const configDir = join(dir, `docker-config-${++jobs}`);
  await mkdir(configDir);
  await writeFile(join(configDir, 'config.json'), JSON.stringify(config));
  return join(configDir, 'config.json');
}
const basicAuth = (user: string, password: string) => ({ auths: { [registry.host]: { auth: Buffer.from(`${user}:${password}`).toString('base64') } } });

function spec(): JobSpec {
  const n = ++jobs;
  return {
    jobId: `registry-job-${process.pid}-${n}`,
    projectId: 'proj-registry',
    projectName: 'registry',
    number: n,
    type: 'TEST',
    checkout: { repoUrl: repo.url, sha: repo.initialSha, branch: 'main' },
    image: registry.image,
    // Every time: the engine must ask the registry, whatever it kept from another test.
    container: { pull: 'always', privileged: false },
    env: {},
    secrets: {},
    phases: { environment: [], prepare: [], test: [{ run: 'echo pulled-with-a-login' }], deploy: [], cleanup: [] },
    timeoutMs: 60_000,
    requires: { labels: [], plugins: [] },
  };
}

async function run(configFile: string): Promise<{ events: JobEvent[]; outcome: { status: string; message?: string } }> {
  const executor = new DockerExecutor({
    docker: testDocker, droneName: DRONE, cacheRoot: join(dir, 'cache'), logins: new DockerConfigLogins(configFile),
  });
  return runJobForEvents(spec(), { executor, workspaces: repos, dataDir: dir, cleanupTimeoutMs: 10_000 });
}

const logText = (events: JobEvent[]) => events.flatMap((e) => (e.type === 'job:log' || e.type === 'job:cmd:stdout' ? [e.data] : [])).join('');

describe('pulling from a registry that needs a login', { skip, concurrency: false }, () => {
  it('pulls with the credentials of the drone host\'s Docker configuration, which go to the registry and nowhere else', async () => {
    const asked = registry.requests.length;
    const { events, outcome } = await run(await dockerConfig(basicAuth(USER, PASSWORD)));
    assert.equal(outcome.status, 'passed', outcome.message);
    assert.match(logText(events), new RegExp(`^Pulling image ${registry.image.replace(/[.]/g, '\\.')} \\(pull policy always, logged in to ${registry.host.replace(/[.]/g, '\\.')}\\)$`, 'm'));
    assert.match(logText(events), /^pulled-with-a-login$/m);
    const manifests = registry.requests.slice(asked).filter((r) => r.path.includes('/manifests/'));
    assert.ok(manifests.length > 0 && manifests.every((r) => r.basic === `${USER}:${PASSWORD}`), 'the registry was asked with the login');
    assert.ok(!JSON.stringify(events).includes(PASSWORD) && !JSON.stringify(events).includes(Buffer.from(`${USER}:${PASSWORD}`).toString('base64')), 'no secret in the job\'s events');
  });

  it('ends the job errored, saying where it looked, without credentials or with wrong ones', async () => {
    const none = await dockerConfig({ auths: { 'other.example': { auth: Buffer.from('a:b').toString('base64') } } });
    const withoutLogin = await run(none);
    assert.equal(withoutLogin.outcome.status, 'errored');
    assert.match(withoutLogin.outcome.message!, new RegExp(`image "${registry.image.replace(/[.]/g, '\\.')}" is not available on this drone: the pull failed: .+ \\(no credentials for ${registry.host.replace(/[.]/g, '\\.')} in ${none.replace(/[.]/g, '\\.')}\\)$`));

    const wrong = await dockerConfig(basicAuth(USER, 'not-the-password'));
    const refused = await run(wrong);
    assert.equal(refused.outcome.status, 'errored');
    assert.match(refused.outcome.message!, new RegExp(`\\(the credentials for ${registry.host.replace(/[.]/g, '\\.')} in ${wrong.replace(/[.]/g, '\\.')}\\)$`));
    assert.ok(!refused.outcome.message!.includes('not-the-password'));

    const missing = await run(join(dir, 'no-such-dir', 'config.json'));
    assert.match(missing.outcome.message!, /\(no credentials for .+ \(.+ does not exist\)\)$/);
  });

  describe('a drone process through the queen', () => {
    let queen: TestQueen;
    let drone: TestDrone;

    before(async () => {
      // The configuration names a credential helper, found on the drone's PATH as `docker pull` would.
      const configDir = join(dir, 'drone-docker-config');
      await mkdir(configDir);
      await writeFile(join(configDir, 'config.json'), JSON.stringify({ credHelpers: { [registry.host]: 'hivetest' } }));
      const bin = join(dir, 'bin');
      await mkdir(bin);
      const helper = join(bin, 'docker-credential-hivetest');
      // Answers `get` for the registry on stdin (and nothing else), as credential helpers do.
      await writeFile(helper, `#!/bin/sh
[ "$1" = get ] || exit 2
read -r server
[ "$server" = "${registry.host}" ] || { echo "credentials not found" >&2; exit 1; }
printf '{"ServerURL":"%s","Username":"${USER}","Secret":"${PASSWORD}"}\\n' "$server"
`);
      await chmod(helper, 0o755);
      queen = await startTestQueen();
      drone = await connectDrone(queen, { name: DRONE, capacity: 1, env: { DOCKER_CONFIG: configDir, PATH: `${bin}:${process.env.PATH}` } });
    });
    after(async () => {
      await drone?.stop();
      await queen?.stop();
    });

    it('pulls the project\'s image with the login from the helper', async () => {
      const project = await queen.api('POST', '/api/projects', {
        name: 'private-image', repoUrl: repo.url,
        config: { phases: { test: ['echo built-from-a-private-image'] } },
        plugins: [{ name: 'docker', config: { image: registry.image, pull: 'always' } }],
      });
      assert.equal(project.status, 201, project.text);
      const asked = registry.requests.length;
      const id = (await queen.api('POST', `/api/projects/${project.body.id}/jobs`, {})).body.id as string;
      const job = await queen.waitForJob(id);
      assert.equal(job.status, 'passed', job.message ?? '');
      assert.ok(registry.requests.slice(asked).some((r) => r.path.includes('/manifests/') && r.basic === `${USER}:${PASSWORD}`));
      const log = (await queen.api('GET', `/api/jobs/${id}/log`)).text;
      assert.match(log, /^built-from-a-private-image$/m);
      assert.ok(!log.includes(PASSWORD), 'the password is not in the log');
      assert.ok(!drone.output().includes(PASSWORD), 'nor in the drone\'s own log');
    });

    it('pulls with the project\'s own login for its registry, before the drone host\'s', async () => {
      const project = await queen.api('POST', '/api/projects', {
        name: 'private-image-own-login', repoUrl: repo.url,
        config: { phases: { test: ['echo built-with-the-project-login'] } },
        plugins: [{ name: 'docker', config: { image: registry.image, pull: 'always' } }],
        registryLogins: { [registry.host]: { username: PROJECT_USER, password: PROJECT_PASSWORD } },
      });
      assert.equal(project.status, 201, project.text);
      const asked = registry.requests.length;
      const id = (await queen.api('POST', `/api/projects/${project.body.id}/jobs`, {})).body.id as string;
      const job = await queen.waitForJob(id);
      assert.equal(job.status, 'passed', job.message ?? '');
      const manifests = registry.requests.slice(asked).filter((r) => r.path.includes('/manifests/'));
      assert.ok(manifests.length > 0 && manifests.every((r) => r.basic === `${PROJECT_USER}:${PROJECT_PASSWORD}`), 'the project\'s login, not the host\'s');
      const log = (await queen.api('GET', `/api/jobs/${id}/log`)).text;
      assert.match(log, /^built-with-the-project-login$/m);
      assert.ok(!log.includes(PROJECT_PASSWORD) && !drone.output().includes(PROJECT_PASSWORD));
    });
  });
});
