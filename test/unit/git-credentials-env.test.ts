import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { prepareGitAuth } from '../../common/git/credentials-env.ts';

const exec = promisify(execFile);

describe('prepareGitAuth', () => {
  let dir: string;
  let firstUseKnownHosts: string;
  let key: string;
  let publicKey: string;
  before(async () => {
    dir = await mkdtemp(join(os.tmpdir(), 'hive-git-auth-test-'));
    firstUseKnownHosts = join(dir, 'known-hosts', 'repo-hash');
    await exec('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'hive-unit', '-f', join(dir, 'key')]);
    key = await readFile(join(dir, 'key'), 'utf8');
    publicKey = (await readFile(join(dir, 'key.pub'), 'utf8')).split(' ').slice(0, 2).join(' ');
  });
  after(() => rm(dir, { recursive: true, force: true }));
  const options = () => ({ firstUseKnownHosts, path: process.env.PATH });

  it('never prompts and pins host keys per repository on first use, even without credentials', async () => {
    const auth = await prepareGitAuth(undefined, options());
    assert.equal(auth.env.GIT_TERMINAL_PROMPT, '0');
    assert.match(auth.env.GIT_SSH_COMMAND, /BatchMode=yes/);
    assert.match(auth.env.GIT_SSH_COMMAND, /StrictHostKeyChecking=accept-new/);
    assert.ok(auth.env.GIT_SSH_COMMAND.includes(`UserKnownHostsFile="${firstUseKnownHosts}" ~/.ssh/known_hosts`));
    assert.equal((await stat(join(dir, 'known-hosts'))).mode & 0o777, 0o700, 'the first-use file has a private directory');
    await auth.dispose();
  });

  it('holds an SSH key in a private agent: no file holds the key, and the agent ends on dispose', async () => {
    const auth = await prepareGitAuth({ sshKey: key.trimEnd() }, options());
    const command = auth.env.GIT_SSH_COMMAND;
    assert.match(command, /-o IdentitiesOnly=yes/);
    const socket = /IdentityAgent=([^']+)'/.exec(command)![1];
    const pub = /IdentityFile=([^']+)'/.exec(command)![1];
    const privateDir = join(socket, '..');
    assert.equal((await stat(privateDir)).mode & 0o777, 0o700);
    for (const name of await readdir(privateDir)) {
      const path = join(privateDir, name);
      if ((await stat(path)).isFile()) assert.ok(!(await readFile(path, 'utf8')).includes('PRIVATE KEY'), `${name} holds no private key`);
    }
    assert.ok((await readFile(pub, 'utf8')).startsWith(publicKey), 'ssh picks the key by its public half');
    const listed = await exec('ssh-add', ['-L'], { env: { PATH: process.env.PATH, SSH_AUTH_SOCK: socket } });
    assert.ok(listed.stdout.startsWith(publicKey), 'the agent holds the key');
    assert.ok(!JSON.stringify(auth.env).includes('PRIVATE KEY'), 'the key is in no variable');
    assert.deepEqual(auth.secrets, [key.trimEnd()]);
    await auth.dispose();
    await assert.rejects(stat(privateDir));
    await assert.rejects(exec('ssh-add', ['-L'], { env: { PATH: process.env.PATH, SSH_AUTH_SOCK: socket } }), 'the agent is gone');
  });

  it('checks host keys strictly against the given known hosts only', async () => {
    const knownHosts = `[127.0.0.1]:2222 ${publicKey}\n`;
    const auth = await prepareGitAuth({ knownHosts }, options());
    const command = auth.env.GIT_SSH_COMMAND;
    assert.match(command, /StrictHostKeyChecking=yes/);
    assert.match(command, /GlobalKnownHostsFile=\/dev\/null/);
    const file = /UserKnownHostsFile=([^']+)'/.exec(command)![1];
    assert.equal(await readFile(file, 'utf8'), knownHosts);
    assert.ok(!command.includes(firstUseKnownHosts));
    await auth.dispose();
    await assert.rejects(stat(file));
  });

  it('refuses a key that is not one, and leaves nothing behind', async () => {
    const before = await readdir(os.tmpdir());
    await assert.rejects(prepareGitAuth({ sshKey: '-----BEGIN OPENSSH PRIVATE KEY-----\nabc\n-----END OPENSSH PRIVATE KEY-----' }, options()), (err: Error) => {
      assert.equal(err.name, 'SshAgentError');
      assert.match(err.message, /could not load the deploy key/);
      assert.ok(!err.message.includes('abc'));
      return true;
    });
    const left = (await readdir(os.tmpdir())).filter((n) => n.startsWith('hive-git-auth-') && !before.includes(n));
    assert.deepEqual(left, []);
  });

  it('hands a token to git through an askpass script and env vars, not argv or URL', async () => {
    const auth = await prepareGitAuth({ password: 'tok' }, options());
    assert.equal((await stat(auth.env.GIT_ASKPASS)).mode & 0o777, 0o700);
    assert.deepEqual([auth.env.HIVE_GIT_USERNAME, auth.env.HIVE_GIT_PASSWORD], ['x-access-token', 'tok']);
    const ask = (prompt: string) => promisify(execFile)(auth.env.GIT_ASKPASS, [prompt], { env: { ...auth.env, PATH: process.env.PATH } });
    assert.equal((await ask("Username for 'https://example.com': ")).stdout, 'x-access-token\n');
    assert.equal((await ask("Password for 'https://x-access-token@example.com': ")).stdout, 'tok\n');
    await auth.dispose();
  });

  it('uses the given username, and disposes of everything even when asked twice', async () => {
    const auth = await prepareGitAuth({ username: 'deploy', password: 'tok' }, options());
    assert.deepEqual(auth.secrets, ['tok']);
    assert.equal(auth.env.HIVE_GIT_USERNAME, 'deploy');
    await auth.dispose();
    await auth.dispose();
    await assert.rejects(stat(auth.env.GIT_ASKPASS));
  });
});
