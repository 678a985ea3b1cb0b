import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, it } from 'node:test';
import { prepareGitAuth } from '../../common/git/credentials-env.ts';

describe('prepareGitAuth', () => {
  it('never prompts, even without credentials', async () => {
    const auth = await prepareGitAuth(undefined);
    assert.equal(auth.env.GIT_TERMINAL_PROMPT, '0');
    assert.match(auth.env.GIT_SSH_COMMAND, /BatchMode=yes/);
    await auth.dispose();
  });

  it('writes an SSH key to a private file used only through GIT_SSH_COMMAND, and removes it', async () => {
    const auth = await prepareGitAuth({ sshKey: '-----BEGIN OPENSSH PRIVATE KEY-----\nabc\n-----END OPENSSH PRIVATE KEY-----' });
    const keyFile = /-i '([^']+)'/.exec(auth.env.GIT_SSH_COMMAND)![1];
    assert.match(auth.env.GIT_SSH_COMMAND, /-o IdentitiesOnly=yes/);
    assert.equal((await stat(keyFile)).mode & 0o777, 0o600);
    assert.ok((await readFile(keyFile, 'utf8')).endsWith('KEY-----\n'), 'ssh needs the final newline');
    assert.equal((await stat(join(keyFile, '..'))).mode & 0o777, 0o700);
    await auth.dispose();
    await assert.rejects(stat(keyFile));
  });

  it('hands a token to git through an askpass script and env vars, not argv or URL', async () => {
    const auth = await prepareGitAuth({ password: 'tok' });
    assert.equal((await stat(auth.env.GIT_ASKPASS)).mode & 0o777, 0o700);
    assert.deepEqual([auth.env.HIVE_GIT_USERNAME, auth.env.HIVE_GIT_PASSWORD], ['x-access-token', 'tok']);
    const ask = (prompt: string) => promisify(execFile)(auth.env.GIT_ASKPASS, [prompt], { env: { ...auth.env, PATH: process.env.PATH } });
    assert.equal((await ask("Username for 'https://example.com': ")).stdout, 'x-access-token\n');
    assert.equal((await ask("Password for 'https://x-access-token@example.com': ")).stdout, 'tok\n');
    await auth.dispose();
  });

  it('uses the given username, and disposes of everything even when asked twice', async () => {
    const auth = await prepareGitAuth({ username: 'deploy', password: 'tok', sshKey: 'KEY\n' });
    assert.deepEqual(auth.secrets, ['tok', 'KEY\n']);
    assert.equal(auth.env.HIVE_GIT_USERNAME, 'deploy');
    await auth.dispose();
    await auth.dispose();
    await assert.rejects(stat(auth.env.GIT_ASKPASS));
  });
});
