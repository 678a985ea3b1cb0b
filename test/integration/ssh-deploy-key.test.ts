/**
 * Deploy keys end to end: a private repository served by a real OpenSSH server
 * (test/helpers/sshd.ts), fetched by the queen's mirror (to read .hive.yml) and cloned by a
 * real drone, with the project's deploy key and host keys checked against the project's
 * known hosts — or pinned on first use. The key must never be where a job, a log, an API
 * answer or the stored job could show it.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { access, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { firstUseKnownHostsFile } from '../../common/git/host-key-check.ts';
import { RepoCache } from '../../drone/checkout.ts';
import { pickHostEnv } from '../../drone/config.ts';
import { findJob } from '../../server/db/jobs.ts';
import { connectDrone, type TestDrone } from '../helpers/drone-process.ts';
import { createGitRepo, type GitRepo } from '../helpers/git-repo.ts';
import { startTestQueen, type TestQueen } from '../helpers/queen.ts';
import { sshdUnavailable, startSshd, type TestSshd } from '../helpers/sshd.ts';
import { logIn, webRequest } from '../helpers/web-session.ts';

const exec = promisify(execFile);
const unavailable = sshdUnavailable();
const PASSWORD = 'ssh-deploy-admin-password';

/**
 * Run by the job: looks for the deploy key where a build command could — every file of
 * the drone's data dir (the job's workspace is <data>/work/<job>), key-like files and
 * Hive's private git dirs in /tmp — and for an ssh-agent it could still use.
 */
const PROBE = `#!/bin/sh
data=$(cd ../.. && pwd)
{
  find "$data" -type f 2>/dev/null
  find /tmp -xdev \\( -name '*key*' -o -name 'id' -o -name 'id_*' -o -name '*.pem' \\) -type f 2>/dev/null
  find /tmp -maxdepth 1 -name 'hive-git-auth-*' -type d -exec find {} -type f \\; 2>/dev/null
} | while IFS= read -r f; do
  grep -qF -e "$KEY_PROBE" "$f" 2>/dev/null && echo "KEY FOUND in $f"
done
for s in /tmp/hive-git-auth-*/agent; do
  [ -S "$s" ] && SSH_AUTH_SOCK="$s" ssh-add -L 2>/dev/null | grep -qF -e "$PUB_PROBE" && echo "KEY USABLE through $s"
done
echo "key search done in $data"
`;

describe('deploy keys over ssh', { skip: unavailable }, () => {
  let sshd: TestSshd;
  let repo: GitRepo;
  let queen: TestQueen;
  let drone: TestDrone;
  let key: string;
  let publicKey: string;
  let keyProbe: string;
  let keyBody: string[];
  let queenLog = '';

  before(async () => {
    // The key exists only in memory from here on: its file is removed at once, so any copy
    // found later was written by Hive.
    const keyDir = await mkdtemp(join(os.tmpdir(), 'hive-ssh-test-'));
    await exec('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'hive-deploy-test', '-f', join(keyDir, 'deploy')]);
    key = await readFile(join(keyDir, 'deploy'), 'utf8');
    publicKey = await readFile(join(keyDir, 'deploy.pub'), 'utf8');
    await rm(keyDir, { recursive: true, force: true });
    // A line from the middle of the key: what any copy of it would contain.
    keyProbe = key.split('\n')[2];
    assert.ok(keyProbe.length > 40);
    // Every line of the key's body but the first (the format's header, the same in every key).
    keyBody = key.split('\n').slice(2).filter((l) => l.length > 8 && !l.startsWith('-----'));

    sshd = await startSshd({ authorizedKey: publicKey });
    repo = await createGitRepo({
      files: {
        '.hive.yml': [
          'phases:',
          '  test:',
          '    - echo "ssh build of $HIVE_COMMIT"',
          // Names only: values hold the project's and drone's names, which say "ssh" too.
          `    - env | grep -iE '^[A-Z_]*SSH[A-Z_]*=|hive-git-auth|IdentityAgent|IdentityFile|ASKPASS' || echo NO_SSH_VARIABLES`,
          '    - sh probe.sh',
          '',
        ].join('\n'),
        'probe.sh': PROBE,
      },
    });
    const log = pino({ level: 'debug' }, { write: (line: string) => void (queenLog += line) });
    queen = await startTestQueen({ HIVE_ADMIN_PASSWORD: PASSWORD }, undefined, { log });
    drone = await connectDrone(queen, { name: 'ssh-builder' });
  });
  after(async () => {
    await drone?.stop();
    await queen?.stop();
    await sshd?.stop();
    await repo?.cleanup();
  });

  const createProject = async (name: string, credentials: Record<string, unknown> | undefined) => {
    const res = await queen.api('POST', '/api/projects', {
      name, repoUrl: sshd.urlFor(repo.dir),
      ...(credentials && { credentials }),
      // For the probe (secrets reach the job as variables and are masked in its log).
      secrets: { KEY_PROBE: keyProbe, PUB_PROBE: publicKey.split(' ')[1] },
    });
    assert.equal(res.status, 201, res.text);
    return res.body as { id: string; credentials: unknown };
  };
  const build = async (projectId: string) => {
    const res = await queen.api('POST', `/api/projects/${projectId}/jobs`, {});
    assert.equal(res.status, 201, res.text);
    return queen.waitForJob(res.body.id);
  };

  it('builds with the deploy key and the project\'s known hosts, on the queen\'s mirror and the drone, and the key is nowhere a job or a user could read it', async () => {
    const project = await createProject('ssh-private', { sshKey: key, knownHosts: sshd.knownHosts });
    assert.deepEqual(project.credentials, {
      type: 'ssh', deployKey: true,
      knownHosts: [{ hosts: `[127.0.0.1]:${sshd.port}`, keyType: 'ssh-ed25519', fingerprint: sshd.fingerprint }],
    }, 'the view shows the known hosts and that a key is set, not the key');
    const acceptedBefore = sshd.accepted();
    const job = await build(project.id);
    const log = (await queen.api('GET', `/api/jobs/${job.id}/log`)).text;
    assert.equal(job.status, 'passed', `${job.message}\n${log}`);
    const sha = await repo.head('main');
    assert.match(log, new RegExp(`ssh build of ${sha}`), 'the queen read .hive.yml over ssh, the drone built it');
    assert.ok(sshd.accepted() - acceptedBefore >= 2, 'the queen and the drone both logged in with the key');

    // What the job saw: no ssh variable, no copy of the key, no agent holding it.
    assert.match(log, /^NO_SSH_VARIABLES$/m);
    assert.match(log, /key search done in /);
    assert.doesNotMatch(log, /KEY FOUND|KEY USABLE/);
    assert.match(await probeWithPlantedKey(keyProbe), /KEY FOUND in .*planted/, 'the probe finds a copy where there is one');

    const stored = await findJob(queen.testDb.db, job.id);
    assert.equal(stored?.spec?.checkout.credentials, undefined, 'the stored spec has no credentials');
    const seen: Record<string, string> = {
      'queen log': queenLog,
      'drone output': drone.output(),
      'job log': log,
      'job API': (await queen.api('GET', `/api/jobs/${job.id}`)).text,
      'project API': (await queen.api('GET', `/api/projects/${project.id}`)).text,
      'projects API': (await queen.api('GET', '/api/projects')).text,
      'settings page': await (await webRequest(queen.url, `/projects/${project.id}/settings`, { session: await logIn(queen.url, 'admin', PASSWORD) })).text(),
      'stored job': JSON.stringify(stored),
    };
    assert.ok(queenLog.includes('job resolved') && drone.output().length > 0, 'the logs were captured');
    for (const [where, text] of Object.entries(seen)) {
      for (const line of keyBody) assert.ok(!text.includes(line), `the key leaked into the ${where}`);
    }
    assert.match(seen['settings page'], new RegExp(sshd.fingerprint.replace(/[+/]/g, '\\$&')), 'the settings page shows the known host');
    assert.deepEqual(await filesContaining(queen.dataDir, keyProbe), [], 'no file of the queen holds the key');
    assert.deepEqual(await filesContaining(drone.dataDir, keyProbe), [], 'no file of the drone holds the key');
  });

  it('errors a build whose known hosts hold another key for the server, before anything is fetched or logged in', async () => {
    const otherKey = publicKey.split(' ').slice(0, 2).join(' '); // a valid key, not the server's
    const project = await createProject('ssh-wrong-host', { sshKey: key, knownHosts: `[127.0.0.1]:${sshd.port} ${otherKey}\n` });
    const acceptedBefore = sshd.accepted();
    const job = await build(project.id);
    assert.equal(job.status, 'errored');
    assert.match(job.message ?? '', new RegExp(`the host key of \\[127\\.0\\.0\\.1\\]:${sshd.port} did not match the project's known hosts \\(the server sent the ED25519 key ${sshd.fingerprint.replace(/[+/]/g, '\\$&')}\\); nothing was fetched`));
    assert.doesNotMatch(job.message ?? '', /@@@|hive-git-auth|known_hosts:/, 'ssh\'s banner and temp paths are not shown');
    assert.equal(sshd.accepted(), acceptedBefore, 'no login: ssh stopped at the host key');
    assert.equal(job.droneId, null, 'no drone got the job');
    assert.ok(!queenLog.includes(keyProbe));
  });

  it('fails with an authentication error without a deploy key', async () => {
    const project = await createProject('ssh-no-key', undefined);
    const job = await build(project.id);
    assert.equal(job.status, 'errored');
    assert.match(job.message ?? '', /Could not fetch branch "main" from ssh:\/\/.*Permission denied \(publickey\)/);
  });

  it('checks host keys on the drone too: its own checkout refuses a server missing from the known hosts', async () => {
    const dataDir = await mkdtemp(join(os.tmpdir(), 'hive-ssh-drone-'));
    try {
      const cache = new RepoCache({ dataDir, hostEnv: pickHostEnv(process.env) });
      const sha = await repo.head('main');
      const repoUrl = sshd.urlFor(repo.dir);
      const otherHost = `[127.0.0.2]:${sshd.port} ${sshd.knownHosts.split(' ').slice(1).join(' ')}`;
      await assert.rejects(
        cache.checkout({ jobId: 'drone-unknown-host', checkout: { repoUrl, sha, branch: 'main', credentials: { sshKey: key, knownHosts: otherHost } } }),
        (err: Error) => {
          assert.equal(err.name, 'CheckoutError');
          assert.match(err.message, new RegExp(`\\[127\\.0\\.0\\.1\\]:${sshd.port} is not in the project's known hosts \\(the server offered an ED25519 key\\); nothing was fetched`));
          return true;
        },
      );
      await assert.rejects(access(cache.workspacePath('drone-unknown-host')), 'no workspace');
      const fetched = await readFile(join(cache.cachePath(repoUrl), 'FETCH_HEAD'), 'utf8').catch(() => '');
      assert.equal(fetched, '', 'nothing fetched');

      const done = await cache.checkout({ jobId: 'drone-known-host', checkout: { repoUrl, sha, branch: 'main', credentials: { sshKey: key, knownHosts: sshd.knownHosts } } });
      assert.equal(done.sha, sha);
      assert.deepEqual(await filesContaining(dataDir, keyProbe), []);
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  // Last: it gives the server a new host key.
  it('without known hosts pins the first host key seen, per repository, and refuses a changed one on queen and drone', async () => {
    const project = await createProject('ssh-first-use', { sshKey: key });
    assert.deepEqual(project.credentials, { type: 'ssh', deployKey: true, knownHosts: null });
    const first = await build(project.id);
    assert.equal(first.status, 'passed', first.message ?? '');
    const repoUrl = sshd.urlFor(repo.dir);
    const pinnedOnDrone = await readFile(firstUseKnownHostsFile(join(drone.dataDir, 'known-hosts'), repoUrl), 'utf8');
    assert.equal(pinnedOnDrone, sshd.knownHosts, 'the drone recorded the key, for this repository');
    const queenPin = firstUseKnownHostsFile(join(queen.dataDir, 'mirrors', 'known-hosts'), repoUrl);
    const pinnedOnQueen = await readFile(queenPin, 'utf8');
    assert.equal(pinnedOnQueen, sshd.knownHosts, 'the queen recorded the key, for this repository');

    await sshd.restart({ newHostKey: true });
    const changed = await build(project.id);
    assert.equal(changed.status, 'errored');
    assert.match(changed.message ?? '', new RegExp(`the host key of \\[127\\.0\\.0\\.1\\]:${sshd.port} did not match the key recorded when Hive first connected to it`));
    assert.match(changed.message ?? '', /give the project its known hosts/);
    assert.equal(await readFile(queenPin, 'utf8'), pinnedOnQueen, 'the old key stays pinned');

    // The admin confirms the new key: only the known hosts are sent, the stored key stays.
    const patched = await queen.api('PATCH', `/api/projects/${project.id}`, { credentials: { knownHosts: sshd.knownHosts } });
    assert.equal(patched.status, 200, patched.text);
    assert.equal(patched.body.credentials.deployKey, true);
    const confirmed = await build(project.id);
    assert.equal(confirmed.status, 'passed', confirmed.message ?? '');

    // The drone refuses a changed key on its own too (its pin is still the old key).
    const cache = new RepoCache({ dataDir: drone.dataDir, hostEnv: pickHostEnv(process.env) });
    await assert.rejects(
      cache.checkout({ jobId: 'drone-changed-key', checkout: { repoUrl, sha: await repo.head('main'), branch: 'main', credentials: { sshKey: key } } }),
      /did not match the key recorded when Hive first connected to it/,
    );
  });
});

/** The probe run in a fake drone data dir holding a copy of the key: it must say so. */
async function probeWithPlantedKey(keyProbe: string): Promise<string> {
  const data = await mkdtemp(join(os.tmpdir(), 'hive-ssh-probe-'));
  try {
    const workspace = join(data, 'work', 'job');
    await mkdir(workspace, { recursive: true });
    await writeFile(join(data, 'planted'), `x\n${keyProbe}\n`);
    await writeFile(join(workspace, 'probe.sh'), PROBE);
    return (await exec('sh', ['probe.sh'], { cwd: workspace, env: { PATH: process.env.PATH, KEY_PROBE: keyProbe, PUB_PROBE: 'none' } })).stdout;
  } finally {
    await rm(data, { recursive: true, force: true });
  }
}

/** Files under `dir` that contain `text`. */
async function filesContaining(dir: string, text: string): Promise<string[]> {
  const found = await exec('grep', ['-rlF', '-D', 'skip', '--binary-files=text', '-e', text, dir]).catch((err) => (err.code === 1 ? { stdout: '' } : Promise.reject(err)));
  return found.stdout.split('\n').filter(Boolean);
}
