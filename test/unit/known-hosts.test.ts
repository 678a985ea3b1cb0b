import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { explainHostKeyFailure, hostKeyOptions } from '../../common/git/host-key-check.ts';
import { normalizeKnownHosts, parseKnownHosts } from '../../common/git/known-hosts.ts';

const exec = promisify(execFile);

describe('known hosts', () => {
  let dir: string;
  let line: string;
  let fingerprint: string;
  before(async () => {
    dir = await mkdtemp(join(os.tmpdir(), 'hive-known-hosts-'));
    await exec('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'host')]);
    line = (await readFile(join(dir, 'host.pub'), 'utf8')).split(' ').slice(0, 2).join(' ');
    fingerprint = (await exec('ssh-keygen', ['-l', '-f', join(dir, 'host.pub')])).stdout.split(' ')[1];
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('reads ssh-keyscan lines, with ports, markers, hashed hosts, comments, and fingerprints as ssh-keygen -l', () => {
    const text = [
      '# github.com:22 SSH-2.0-babeld',
      `github.com,140.82.121.4 ${line} a comment`,
      '',
      `[git.example.com]:2222 ${line}`,
      `@cert-authority *.example.com ${line}`,
      `|1|zpqMyqqMWnG2j+qCE09v6EjADak=|cpYbzLbSJMFAy80YatLultT9BgE= ${line}\r`,
    ].join('\n');
    const entries = parseKnownHosts(text);
    assert.deepEqual(entries.map((e) => [e.marker, e.hosts, e.keyType]), [
      [undefined, 'github.com,140.82.121.4', 'ssh-ed25519'],
      [undefined, '[git.example.com]:2222', 'ssh-ed25519'],
      ['@cert-authority', '*.example.com', 'ssh-ed25519'],
      [undefined, '|1|zpqMyqqMWnG2j+qCE09v6EjADak=|cpYbzLbSJMFAy80YatLultT9BgE=', 'ssh-ed25519'],
    ]);
    assert.equal(entries[0].fingerprint, fingerprint);
    assert.equal(normalizeKnownHosts(text).split('\n')[0], `github.com,140.82.121.4 ${line}`, 'comments go');
  });

  it('names the line and the problem of bad text', () => {
    const [type, key] = line.split(' ');
    const bad: Array<[string, RegExp]> = [
      ['', /name no host key/],
      ['# only a comment', /name no host key/],
      [`example.com ${type}`, /line 1: expected "host keytype key"/],
      [`ok.example ${line}\nexample.com ssh-foo ${key}`, /line 2: unknown key type "ssh-foo"/],
      [`example.com ssh-rsa ${key}`, /line 1: the key is not a valid ssh-rsa key/],
      [`example.com ${type} ${key.slice(0, 20)}`, /line 1: the key is not a valid ssh-ed25519 key/],
      [`example.com ${type} not*base64`, /not a valid/],
      [`exa"mple.com ${line}`, /is not a host list/],
      [`@trusted example.com ${line}`, /unknown marker "@trusted"/],
      [`example.com ${line}\n`.repeat(501), /more than 500/],
    ];
    for (const [text, message] of bad) assert.throws(() => parseKnownHosts(text), message, text.slice(0, 60));
  });

  it('gives ssh exactly the project\'s keys, or pins first use in the repository\'s file', () => {
    const strict = hostKeyOptions({ kind: 'known-hosts', file: '/tmp/a dir/known_hosts' });
    assert.equal(strict, "-o StrictHostKeyChecking=yes -o 'UserKnownHostsFile=/tmp/a dir/known_hosts' -o GlobalKnownHostsFile=/dev/null -o UpdateHostKeys=no");
    const firstUse = hostKeyOptions({ kind: 'first-use', file: '/data/known-hosts/abc' });
    assert.match(firstUse, /StrictHostKeyChecking=accept-new/);
    assert.match(firstUse, /'UserKnownHostsFile="\/data\/known-hosts\/abc" ~\/.ssh\/known_hosts'/);
  });

  it('says in one line why ssh refused a host key', () => {
    const changed = [
      '@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@',
      '@    WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!     @',
      'The fingerprint for the ED25519 key sent by the remote host is',
      'SHA256:QCuxBeuVPR/kT/Fdp9/jf/kbokW7wjLTDfa66cXi0lo.',
      'Offending ED25519 key in /tmp/hive-git-auth-x/known_hosts:1',
      'Host key for [127.0.0.1]:22999 has changed and you have requested strict checking.',
      'Host key verification failed.',
      'fatal: Could not read from remote repository.',
    ].join('\n');
    const err = new Error(changed);
    assert.equal(explainHostKeyFailure(err, 'known-hosts')?.message,
      "the host key of [127.0.0.1]:22999 did not match the project's known hosts (the server sent the ED25519 key SHA256:QCuxBeuVPR/kT/Fdp9/jf/kbokW7wjLTDfa66cXi0lo); nothing was fetched");
    assert.match(explainHostKeyFailure(err, 'first-use')!.message, /did not match the key recorded when Hive first connected to it .*give the project its known hosts/);
    assert.equal(explainHostKeyFailure(err, 'first-use')!.cause, err);
    const unknown = new Error('No ED25519 host key is known for [127.0.0.1]:22999 and you have requested strict checking.\nHost key verification failed.');
    assert.equal(explainHostKeyFailure(unknown, 'known-hosts')?.message,
      "[127.0.0.1]:22999 is not in the project's known hosts (the server offered an ED25519 key); nothing was fetched");
    assert.match(explainHostKeyFailure(new Error('Host key verification failed.'), 'known-hosts')!.message, /could not be verified/);
    assert.equal(explainHostKeyFailure(new Error('git@example.com: Permission denied (publickey).'), 'known-hosts'), undefined);
  });
});
