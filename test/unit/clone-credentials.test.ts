import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { cloneCredentials } from '../../server/routes/clone-credentials-schema.ts';
import { mergeCredentials } from '../../server/jobs/project-secrets.ts';

const exec = promisify(execFile);

describe('clone credentials', () => {
  let dir: string;
  let key: string;
  let encrypted: string;
  let host: string;
  before(async () => {
    dir = await mkdtemp(join(os.tmpdir(), 'hive-clone-credentials-'));
    await exec('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'plain')]);
    await exec('ssh-keygen', ['-q', '-t', 'ed25519', '-N', 'a passphrase', '-f', join(dir, 'locked')]);
    key = await readFile(join(dir, 'plain'), 'utf8');
    encrypted = await readFile(join(dir, 'locked'), 'utf8');
    host = `git.example.com ${(await readFile(join(dir, 'plain.pub'), 'utf8')).split(' ').slice(0, 2).join(' ')}`;
  });
  after(() => rm(dir, { recursive: true, force: true }));

  const problem = (value: unknown) => {
    const parsed = cloneCredentials.safeParse(value);
    return parsed.success ? undefined : parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
  };

  it('takes a token, a key, known hosts, or a key with known hosts (normalized)', () => {
    assert.equal(problem({ password: 't' }), undefined);
    assert.equal(problem({ username: 'u', password: 't' }), undefined);
    assert.equal(problem({ sshKey: key }), undefined);
    assert.equal(problem({ knownHosts: host }), undefined);
    assert.equal(problem({ knownHosts: null }), undefined);
    const parsed = cloneCredentials.parse({ sshKey: key, knownHosts: `# scanned\n${host} comment\r\n` });
    assert.equal(parsed.knownHosts, `${host}\n`);
  });

  it('refuses mixtures, public keys, keys with a passphrase and bad known hosts, saying which', () => {
    assert.match(problem({ password: 't', sshKey: key })!, /not both/);
    assert.match(problem({ username: 'u' })!, /password: is required with a username/);
    assert.match(problem({})!, /expected a password \(HTTPS token\), an sshKey or knownHosts/);
    assert.match(problem({ sshKey: host })!, /sshKey: must be a PEM\/OpenSSH private key/);
    assert.match(problem({ sshKey: encrypted })!, /sshKey: is protected by a passphrase/);
    assert.match(problem({ sshKey: key, knownHosts: 'git.example.com ssh-ed25519 AAAA' })!, /knownHosts: known hosts, line 1: the key is not a valid ssh-ed25519 key/);
    assert.match(problem({ sshKey: key, extra: 1 })!, /extra/);
  });

  it('keeps the stored SSH field a change leaves out; a token replaces everything', () => {
    const stored = { sshKey: 'K', knownHosts: 'H\n' };
    assert.deepEqual(mergeCredentials({ knownHosts: 'N\n' }, stored), { sshKey: 'K', knownHosts: 'N\n' });
    assert.deepEqual(mergeCredentials({ sshKey: 'K2' }, stored), { sshKey: 'K2', knownHosts: 'H\n' });
    assert.deepEqual(mergeCredentials({ knownHosts: null }, stored), { sshKey: 'K' });
    assert.deepEqual(mergeCredentials({ knownHosts: null }, { knownHosts: 'H\n' }), null);
    assert.deepEqual(mergeCredentials({ password: 'p' }, stored), { password: 'p' });
    assert.deepEqual(mergeCredentials({ knownHosts: 'N\n' }, { password: 'p' }), { knownHosts: 'N\n' });
    assert.equal(mergeCredentials(null, stored), null);
  });
});
