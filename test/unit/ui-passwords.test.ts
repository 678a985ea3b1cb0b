import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LoginThrottle } from '../../server/auth/login-throttle.ts';
import { generatePassword, hashPassword, passwordProblem, verifyPassword } from '../../server/auth/passwords.ts';
import { sameSite } from '../../server/auth/sessions.ts';
import { safeNext } from '../../server/routes/ui-session.ts';

describe('passwords', () => {
  it('hashes with scrypt and a random salt, and verifies', async () => {
    const a = await hashPassword('correct horse');
    const b = await hashPassword('correct horse');
    assert.match(a, /^scrypt\$32768\$8\$1\$[\w+/=]+\$[\w+/=]+$/);
    assert.notEqual(a, b);
    assert.equal(await verifyPassword('correct horse', a), true);
    assert.equal(await verifyPassword('correct horsE', a), false);
    assert.equal(await verifyPassword('', a), false);
  });

  it('treats malformed stored hashes as a mismatch', async () => {
    for (const stored of ['', 'plain', 'scrypt$1$2$3', 'bcrypt$1$1$1$aa$bb', 'scrypt$99999999$8$1$aa$bb', 'scrypt$1024$8$1$aa$']) {
      assert.equal(await verifyPassword('x', stored), false, stored);
    }
  });

  it('generates long random passwords and names what is wrong with short ones', () => {
    assert.notEqual(generatePassword(), generatePassword());
    assert.equal(generatePassword().length, 20);
    assert.match(passwordProblem('short')!, /at least 8/);
    assert.equal(passwordProblem('long enough'), undefined);
  });
});

describe('login throttle', () => {
  it('refuses a username after too many failures until the window passes', () => {
    const t = new LoginThrottle(3, 1000);
    for (let i = 0; i < 3; i++) t.fail('Admin', 0);
    assert.ok(t.retryAfterMs('admin', 10) > 0);
    assert.equal(t.retryAfterMs('other', 10), 0);
    assert.equal(t.retryAfterMs('admin', 1001), 0);
    t.succeed('admin');
    assert.equal(t.retryAfterMs('admin', 10), 0);
  });
});

describe('same-site checks', () => {
  it('accepts our own origin and requests without browser hints, refuses other sites', () => {
    assert.equal(sameSite({ origin: 'http://hive:8080', host: 'hive:8080', fetchSite: 'same-origin' }), true);
    assert.equal(sameSite({ host: 'hive:8080' }), true);
    assert.equal(sameSite({ origin: 'https://evil.example', host: 'hive:8080' }), false);
    assert.equal(sameSite({ host: 'hive:8080', fetchSite: 'cross-site' }), false);
    assert.equal(sameSite({ host: 'hive:8080', fetchSite: 'same-site' }), false);
  });

  it('follows `next` only to local paths', () => {
    assert.equal(safeNext('/projects/1?x=2'), '/projects/1?x=2');
    for (const bad of ['//evil.example', '/\\evil.example', 'https://evil.example', '/login', undefined, 42]) assert.equal(safeNext(bad), '/');
  });
});
