import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { it } from 'node:test';
import { loadSecretBox, parseSecretKey, SecretBox } from '../../server/auth/secret-box.ts';

it('seals and opens, with a fresh nonce each time', () => {
  const box = new SecretBox(randomBytes(32));
  const a = box.seal('hunter2');
  const b = box.seal('hunter2');
  assert.notEqual(a, b);
  assert.ok(!a.includes('hunter2'));
  assert.equal(box.open(a), 'hunter2');
});

it('refuses tampered ciphertexts and the wrong key', () => {
  const box = new SecretBox(randomBytes(32));
  const sealed = box.seal('secret');
  const parts = sealed.split('.');
  parts[3] = Buffer.from('other').toString('base64url');
  assert.throws(() => box.open(parts.join('.')), /could not be decrypted/);
  assert.throws(() => new SecretBox(randomBytes(32)).open(sealed), /could not be decrypted/);
  assert.throws(() => box.open('plain text'), /Not a sealed secret/);
});

it('parses hex and base64 keys and rejects other lengths', () => {
  const key = randomBytes(32);
  assert.deepEqual(parseSecretKey(key.toString('hex')), key);
  assert.deepEqual(parseSecretKey(key.toString('base64')), key);
  assert.throws(() => parseSecretKey('abcd'), /32 bytes/);
});

it('generates a key file once, private to its owner, and reuses it', async () => {
  const file = join(await mkdtemp(join(tmpdir(), 'hive-key-')), 'secret.key');
  const first = await loadSecretBox(undefined, file);
  assert.equal((await stat(file)).mode & 0o777, 0o600);
  const sealed = first.seal('x');
  const second = await loadSecretBox(undefined, file);
  assert.equal(second.open(sealed), 'x');
  assert.match(await readFile(file, 'utf8'), /^[0-9a-f]{64}\n$/);
});
