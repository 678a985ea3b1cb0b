/**
 * Events sockets opened with one credential share its re-check: one query per credential
 * and period however many sockets, and a revoked credential closes every one of them
 * while other credentials' sockets stay.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { CredentialRechecks } from '../../server/live/credential-rechecks.ts';
import { silentLogger } from '../../server/logger.ts';

// The re-check timer is unref'd (it never holds a queen open): this keeps the test's process up.
const keepAlive = () => {
  const timer = setInterval(() => {}, 1000);
  return () => clearInterval(timer);
};

it('checks each credential once per period and closes all of its sockets when it is revoked', async () => {
  const release = keepAlive();
  const rechecks = new CredentialRechecks(10, silentLogger());
  let revokedChecks = 0;
  let goodChecks = 0;
  const closed: string[] = [];
  let allClosed!: () => void;
  const done = new Promise<void>((resolve) => (allClosed = resolve));
  const close = (name: string) => () => {
    closed.push(name);
    if (closed.length === 3) allClosed();
  };
  for (const name of ['a', 'b', 'c']) {
    rechecks.watch('token:revoked', async () => (++revokedChecks, false), close(name));
  }
  const unwatchGood = rechecks.watch('token:good', async () => (++goodChecks, true), () => closed.push('good'));
  await done;
  assert.deepEqual(closed.sort(), ['a', 'b', 'c']);
  assert.equal(revokedChecks, 1, 'three sockets of one credential: one check');
  assert.ok(goodChecks >= 1);
  unwatchGood();
  rechecks.stop();
  release();
});

it('keeps the sockets when a check fails (the database away)', async () => {
  const release = keepAlive();
  const rechecks = new CredentialRechecks(10, silentLogger());
  let checks = 0;
  let twice!: () => void;
  const checkedTwice = new Promise<void>((resolve) => (twice = resolve));
  const unwatch = rechecks.watch('session:x', async () => {
    if (++checks === 2) twice();
    throw new Error('database unreachable');
  }, () => assert.fail('a failed check must not close the socket'));
  await checkedTwice;
  unwatch();
  rechecks.stop();
  release();
});
