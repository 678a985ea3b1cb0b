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
  it('refuses a username from one address after too many failures, until the window passes', () => {
    const t = new LoginThrottle({ perUser: 3, perAddress: 100, windowMs: 1000 });
    for (let i = 0; i < 3; i++) t.fail('Admin', '10.0.0.1', 0);
    assert.deepEqual(t.check('admin', '10.0.0.1', 10), { waitMs: 990, scope: 'user' });
    assert.equal(t.check('other', '10.0.0.1', 10).waitMs, 0, 'other users from that address');
    assert.equal(t.check('admin', '10.0.0.1', 1001).waitMs, 0, 'the window passed');
    t.succeed('admin', '10.0.0.1');
    assert.equal(t.check('admin', '10.0.0.1', 10).waitMs, 0);
  });

  it('never locks a user out of a login from another address', () => {
    const t = new LoginThrottle({ perUser: 3, perAddress: 5, windowMs: 1000 });
    for (let i = 0; i < 50; i++) t.fail('admin', '203.0.113.9', 0);
    assert.ok(t.check('admin', '203.0.113.9', 10).waitMs > 0);
    assert.deepEqual(t.check('admin', '192.0.2.1', 10), { waitMs: 0 });
  });

  it('refuses an address that tries many usernames', () => {
    const t = new LoginThrottle({ perUser: 3, perAddress: 5, windowMs: 1000 });
    for (let i = 0; i < 5; i++) t.fail(`user${i}`, '203.0.113.9', i);
    assert.deepEqual(t.check('someone-new', '203.0.113.9', 10), { waitMs: 990, scope: 'address' });
    assert.equal(t.check('someone-new', '192.0.2.1', 10).waitMs, 0);
    assert.equal(t.check('someone-new', '203.0.113.9', 1001).waitMs, 0, 'the oldest failure left the window');
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
