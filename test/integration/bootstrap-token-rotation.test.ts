/**
 * Bootstrap tokens are listed and rotated through `hive tokens` (its own process against a
 * real queen): rotation revokes the old token at once — a drone connected with the old
 * shared drone token is disconnected, the old admin token answers 401 — and a restart
 * with the same (now stale) HIVE_ADMIN_TOKEN / HIVE_DRONE_TOKEN keeps the old ones revoked
 * and the rotated ones valid. No token ever reaches the queen's log.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pino from 'pino';
import { createUserToken } from '../../server/auth/user-tokens.ts';
import { runHiveCli } from '../helpers/cli-process.ts';
import { ADMIN_TOKEN, DRONE_TOKEN, startTestQueen, type TestQueen } from '../helpers/queen.ts';
import { openRawDrone } from '../helpers/raw-drone.ts';

let queen: TestQueen;
let restarted: TestQueen | undefined;
let queenLog = '';
const secrets: string[] = [ADMIN_TOKEN, DRONE_TOKEN];
// The queen's whole log, at debug level and without pino's redaction.
const log = pino({ level: 'debug' }, { write: (line: string) => void (queenLog += line) });

before(async () => {
  queen = await startTestQueen({}, undefined, { log });
});
after(async () => {
  if (restarted) await restarted.stop();
  else await queen?.stop();
});

const status = async (q: TestQueen, token: string) => (await q.api('GET', '/api/projects', undefined, { authorization: `Bearer ${token}` })).status;

describe('bootstrap token rotation', () => {
  let newDrone: string;
  let newAdmin: string;

  it('lists both bootstrap tokens, active', async () => {
    const res = await runHiveCli(queen, ['tokens', 'list']);
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stdout, /admin\s+admin \(from environment\)\s+created \S+\s+active/);
    assert.match(res.stdout, /drone\s+drone \(from environment\)\s+created \S+\s+active/);
  });

  it('keeps the bootstrap names for bootstrap tokens', async () => {
    const res = await queen.api('POST', '/api/drone-tokens', { shared: true, name: 'drone (rotated)' });
    assert.equal(res.status, 400, res.text);
  });

  it('refuses non-admins with 403', async () => {
    const user = await queen.api('POST', '/api/users', { username: 'rotator', password: 'rotator-password-1' });
    assert.equal(user.status, 201, user.text);
    const { token } = await createUserToken(queen.testDb.db, user.body.id, 'cli');
    secrets.push(token);
    const list = await runHiveCli(queen, ['tokens', 'list'], token);
    assert.notEqual(list.code, 0);
    assert.match(list.stderr, /403/);
    const rotate = await queen.api('POST', '/api/tokens/bootstrap/admin/rotate', undefined, { authorization: `Bearer ${token}` });
    assert.equal(rotate.status, 403);
    assert.equal(await status(queen, ADMIN_TOKEN), 200, 'nothing rotated');
  });

  it('rotate drone: the old shared token is refused and its drone disconnected; the new one connects', async () => {
    const old = await openRawDrone(queen.port, DRONE_TOKEN);
    await old.hello({ name: 'shared-old' });
    const res = await runHiveCli(queen, ['tokens', 'rotate', 'drone']);
    assert.equal(res.code, 0, res.stderr);
    newDrone = res.stdout.trim();
    secrets.push(newDrone);
    assert.match(newDrone, /^drone_\S+$/);
    assert.match(res.stderr, /disconnected drones: shared-old/);
    assert.doesNotMatch(res.stderr, new RegExp(newDrone), 'the token goes to stdout alone');
    assert.equal((await old.closed).code, 4003);
    await assert.rejects(openRawDrone(queen.port, DRONE_TOKEN), /401/);
    const fresh = await openRawDrone(queen.port, newDrone);
    await fresh.hello({ name: 'shared-new' });
    fresh.close();
    await fresh.closed;
  });

  it('rotate admin: the answer arrives; the old admin token gets 401, the new one works', async () => {
    const res = await runHiveCli(queen, ['tokens', 'rotate', 'admin']);
    assert.equal(res.code, 0, res.stderr);
    newAdmin = res.stdout.trim();
    secrets.push(newAdmin);
    assert.match(newAdmin, /^hive_\S+$/);
    assert.equal(await status(queen, ADMIN_TOKEN), 401);
    assert.equal(await status(queen, newAdmin), 200);
    const list = await runHiveCli(queen, ['tokens', 'list'], newAdmin);
    assert.equal(list.code, 0, list.stderr);
    assert.match(list.stdout, /admin\s+admin \(from environment\).*revoked/);
    assert.match(list.stdout, /admin\s+admin \(rotated\).*active/);
    assert.match(list.stdout, /drone\s+drone \(rotated\).*active/);
  });

  it('a restart with the same variables keeps the old tokens revoked and the rotated ones valid', async () => {
    await queen.close(); // the database and data dir stay
    restarted = await startTestQueen({}, { testDb: queen.testDb, dataDir: queen.dataDir }, { log });
    assert.equal(await status(restarted, ADMIN_TOKEN), 401);
    assert.equal(await status(restarted, newAdmin), 200);
    await assert.rejects(openRawDrone(restarted.port, DRONE_TOKEN), /401/);
    const fresh = await openRawDrone(restarted.port, newDrone);
    await fresh.hello({ name: 'shared-after-restart' });
    fresh.close();
    await fresh.closed;
    const { tokens } = (await restarted.api('GET', '/api/tokens/bootstrap', undefined, { authorization: `Bearer ${newAdmin}` })).body;
    const active = tokens.filter((t: { active: boolean }) => t.active).map((t: { kind: string; name: string }) => `${t.kind}:${t.name}`).sort();
    assert.deepEqual(active, ['admin:admin (rotated)', 'drone:drone (rotated)']);
    assert.match(queenLog, /stays revoked; update or remove the variable/);
  });

  it('never logs a token', () => {
    assert.match(queenLog, /bootstrap token rotated/);
    for (const secret of secrets) assert.ok(!queenLog.includes(secret), 'a token in the queen\'s log');
  });
});
