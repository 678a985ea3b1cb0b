/**
 * Drones have identities: a drone's own token speaks for its name only, a name with its
 * own token cannot be taken with the shared one, a second connection never replaces a
 * live drone (only one that stopped answering), revoking a token disconnects and keeps
 * the drone out, and a token in the environment replaces the earlier bootstrap ones.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DRONE_TOKEN, startTestQueen, type TestQueen } from '../helpers/queen.ts';
import { openRawDrone, type RawDrone } from '../helpers/raw-drone.ts';
import { revokeDroneToken } from '../../server/db/tokens.ts';
import { PROTOCOL_VERSION } from '../../common/protocol/index.ts';
import { runHiveCli } from '../helpers/cli-process.ts';

let queen: TestQueen;
const open: RawDrone[] = [];

before(async () => {
  queen = await startTestQueen({ HIVE_EVENTS_RECHECK_MS: '200' });
});
after(async () => {
  for (const d of open) d.close();
  await queen?.stop();
});

async function raw(token: string, opts?: { answerPings?: boolean }, q = queen) {
  const d = await openRawDrone(q.port, token, opts);
  open.push(d);
  return d;
}
async function ownToken(drone: string): Promise<{ id: string; token: string }> {
  const res = await queen.api('POST', '/api/drone-tokens', { drone });
  assert.equal(res.status, 201, res.text);
  return res.body;
}
const refusal = (d: RawDrone) => d.waitFor((m) => m.type === 'error') as Promise<{ code: string; message: string }>;
const connectedNames = () => queen.hub.all().map((d) => d.name).sort();
const cli = (args: string[]) => runHiveCli(queen, args);

describe('drone identities', { concurrency: false }, () => {
  it("connects a drone with its own token under its name only; the shared token cannot take that name", async () => {
    const { token } = await ownToken('builder-1');
    const mine = await raw(token);
    assert.equal((await mine.hello({ name: 'builder-1' })).type, 'queen:welcome');

    const wrongName = await raw(token);
    wrongName.send({ ...helloOf('impostor') });
    const why = await refusal(wrongName);
    assert.deepEqual([why.code, why.message], ['identity_refused', 'this token belongs to drone "builder-1", not "impostor"']);
    assert.equal((await wrongName.closed).code, 4003);

    const shared = await raw(DRONE_TOKEN);
    shared.send(helloOf('builder-1'));
    assert.equal((await refusal(shared)).message, 'drone "builder-1" has a token of its own; connect with it');
    assert.equal((await shared.closed).code, 4003);
    assert.deepEqual(connectedNames(), ['builder-1'], 'the refused connections changed nothing');

    // A second token for the same drone is refused while the first is live.
    const again = await queen.api('POST', '/api/drone-tokens', { drone: 'builder-1' });
    assert.equal(again.status, 409);
    mine.close();
    await mine.closed;
  });

  it('refuses a second connection under a live drone\'s name, and keeps the first with its jobs', async () => {
    const first = await raw(DRONE_TOKEN);
    await first.hello({ name: 'twin' });
    const second = await raw(DRONE_TOKEN);
    second.send(helloOf('twin'));
    const why = await refusal(second);
    assert.equal(why.code, 'already_connected');
    assert.match(why.message, /^a drone named "twin" is already connected \(since .+\); give this one another name \(--name\)$/);
    assert.equal((await second.closed).code, 4009);
    assert.ok(connectedNames().includes('twin'));
    assert.equal(first.messages.some((m) => m.type === 'error'), false, 'the first drone was not disturbed');

    first.close();
    await first.closed;
    const third = await raw(DRONE_TOKEN);
    assert.equal((await third.hello({ name: 'twin' })).type, 'queen:welcome', 'the name is free once its drone left');
    third.close();
    await third.closed;
  });

  it('replaces a connection that stopped answering (the same drone back after a network cut)', async () => {
    const stale = await raw(DRONE_TOKEN, { answerPings: false });
    await stale.hello({ name: 'flaky' });
    const back = await raw(DRONE_TOKEN);
    assert.equal((await back.hello({ name: 'flaky' })).type, 'queen:welcome');
    assert.equal((await stale.closed).code, 4001);
    assert.equal(queen.hub.all().filter((d) => d.name === 'flaky').length, 1);
    back.close();
    await back.closed;
  });

  it('two connections under one name at the same moment: exactly one gets in', async () => {
    const a = await raw(DRONE_TOKEN);
    const b = await raw(DRONE_TOKEN);
    a.send(helloOf('racer'));
    b.send(helloOf('racer'));
    const outcomes = await Promise.all([a, b].map((d) => d.waitFor((m) => m.type === 'queen:welcome' || m.type === 'error')));
    assert.deepEqual(outcomes.map((m) => m.type).sort(), ['error', 'queen:welcome']);
    assert.equal(queen.hub.all().filter((d) => d.name === 'racer').length, 1);
    a.close();
    b.close();
  });

  it('revoking a token disconnects its drone at once and keeps it out', async () => {
    const { id, token } = await ownToken('revokable');
    const d = await raw(token);
    await d.hello({ name: 'revokable' });
    const listed = (await queen.api('GET', '/api/drone-tokens')).body.tokens.find((t: { id: string }) => t.id === id);
    assert.deepEqual([listed.droneName, listed.shared, listed.connected], ['revokable', false, ['revokable']]);
    assert.equal(JSON.stringify(listed).includes(token), false, 'the list never shows the secret');

    assert.equal((await queen.api('DELETE', `/api/drone-tokens/${id}`)).status, 204);
    assert.equal((await d.closed).code, 4003);
    await assert.rejects(openRawDrone(queen.port, token), /401/);
    assert.equal((await queen.api('DELETE', `/api/drone-tokens/${id}`)).status, 404, 'already revoked');
  });

  it('a token revoked elsewhere (another queen, the database) ends the session at the next check, and only its', async () => {
    const { id, token } = await ownToken('checked');
    const d = await raw(token);
    await d.hello({ name: 'checked' });
    // Checked in the same statement each period: a drone with a token of its own, one on the shared token.
    const kept = await raw((await ownToken('kept')).token);
    await kept.hello({ name: 'kept' });
    const shared = await raw(DRONE_TOKEN);
    await shared.hello({ name: 'shared-one' });
    await revokeDroneToken(queen.testDb.db, id);
    assert.equal((await d.closed).code, 4003);
    assert.ok(d.messages.some((m) => m.type === 'error' && m.code === 'credential_revoked'));
    // Further checks (every 200 ms here) leave the others be.
    await queen.droneCredentials.check();
    await queen.droneCredentials.check();
    assert.deepEqual(['kept', 'shared-one'].filter((n) => connectedNames().includes(n)), ['kept', 'shared-one']);
  });

  it('manages drone tokens from the command line', async () => {
    const created = await cli(['drone-token', 'create', 'cli-drone']);
    assert.equal(created.code, 0, created.stderr);
    const token = created.stdout.trim();
    assert.match(token, /^drone_/);
    assert.match(created.stderr, /token for drone "cli-drone" created/);
    const d = await raw(token);
    await d.hello({ name: 'cli-drone' });

    const listed = await cli(['drone-token', 'list']);
    assert.match(listed.stdout, /drone cli-drone {2}connected: cli-drone/);
    assert.match(listed.stdout, /shared: drone \(from environment\)/);
    assert.equal(listed.stdout.includes(token), false);

    const revoked = await cli(['drone-token', 'revoke', 'cli-drone']);
    assert.equal(revoked.code, 0, revoked.stderr);
    assert.equal((await d.closed).code, 4003);
    const unknown = await cli(['drone-token', 'revoke', 'cli-drone']);
    assert.equal(unknown.code, 2, 'as for any name the CLI cannot find');
    assert.match(unknown.stderr, /No live drone token with id or drone name "cli-drone"/);
  });
});

describe('shared drone tokens', () => {
  it('are refused when the operator turns them off; drones\' own tokens still connect', async () => {
    const strict = await startTestQueen({ HIVE_DRONE_SHARED_TOKEN: 'false' });
    try {
      const shared = await raw(DRONE_TOKEN, {}, strict);
      shared.send(helloOf('anyone'));
      assert.match((await refusal(shared)).message, /^shared drone tokens are turned off on this queen/);
      const made = await strict.api('POST', '/api/drone-tokens', { drone: 'known' });
      const own = await raw(made.body.token, {}, strict);
      assert.equal((await own.hello({ name: 'known' })).type, 'queen:welcome');
      own.close();
    } finally {
      await strict.stop();
    }
  });

  it('a drone token set in the environment replaces the earlier bootstrap one', async () => {
    const first = await startTestQueen();
    await first.close(); // the queen goes away; its database stays
    const second = await startTestQueen({ HIVE_DRONE_TOKEN: 'replacement-drone-token-0123456789' }, first);
    try {
      await assert.rejects(openRawDrone(second.port, DRONE_TOKEN), /401/);
      const d = await raw('replacement-drone-token-0123456789', {}, second);
      assert.equal((await d.hello({ name: 'rotated' })).type, 'queen:welcome');
      const tokens = (await second.api('GET', '/api/drone-tokens')).body.tokens as { shared: boolean; revokedAt: string | null }[];
      assert.deepEqual(tokens.filter((t) => t.shared).map((t) => !!t.revokedAt).sort(), [false, true]);
      d.close();
    } finally {
      await second.stop();
    }
  });
});

function helloOf(name: string) {
  return { type: 'drone:hello', version: PROTOCOL_VERSION, name, capacity: 1, speed: 1, labels: [], plugins: [], running: [] };
}
