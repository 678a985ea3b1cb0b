/**
 * The upkeep of an idle drone's link to the queen: the queen pings a drone only after a
 * period in which nothing came from it, keeps one that answers however long it stays
 * silent (its last-seen time following the answers), and drops one that does not answer.
 * That a drone which keeps talking is never pinged is test/unit/peer-liveness.test.ts.
 * Real queen, raw drone sockets; the queen's heartbeat period is short so that periods
 * pass quickly (the test waits for the pings themselves, never for a time).
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { after, before, describe, it } from 'node:test';
import type { ConnectedDrone } from '../../server/scheduler/drone-hub.ts';
import { nextEvent } from '../helpers/events.ts';
import { startTestQueen, type TestQueen } from '../helpers/queen.ts';
import { openRawDrone, type RawDrone } from '../helpers/raw-drone.ts';

let queen: TestQueen;
const open: RawDrone[] = [];

before(async () => {
  // Drones are pinged each heartbeat period (at least 500 ms) after a silent one.
  queen = await startTestQueen({ HIVE_HEARTBEAT_MS: '100' });
});
after(async () => {
  for (const d of open) d.close();
  await queen?.stop();
});

async function rawDrone(name: string, answerPings: boolean): Promise<RawDrone> {
  const d = await openRawDrone(queen.port, undefined, { answerPings });
  open.push(d);
  await d.hello({ name });
  return d;
}

const listed = async (name: string) => {
  const res = await queen.api('GET', '/api/drones');
  assert.equal(res.status, 200, res.text);
  return res.body.drones.find((d: { name: string }) => d.name === name);
};

describe('an idle drone link', () => {
  it('a drone that sends nothing but answers pings stays connected, and is seen when it answers', async () => {
    const d = await rawDrone('quiet', true);
    await once(d.socket, 'ping');
    const answeredAt = Date.now();
    // Two more periods: had the first answer gone unnoticed, the next ping would be its last.
    await once(d.socket, 'ping');
    await once(d.socket, 'ping');
    assert.ok(queen.hub.all().some((x) => x.name === 'quiet'), 'still connected');
    const row = await listed('quiet');
    assert.equal(row.connected, true);
    assert.ok(Date.parse(row.lastSeenAt) >= answeredAt - 5, `last seen ${row.lastSeenAt}, answered at ${new Date(answeredAt).toISOString()}`);
  });

  it('a drone that never answers is dropped and shown disconnected', async () => {
    const d = await rawDrone('mute', false);
    const gone = nextEvent<[ConnectedDrone]>(queen.hub, 'disconnected', (drone) => drone.name === 'mute');
    await once(d.socket, 'ping');
    const closed = await d.closed;
    assert.equal(closed.code, 1006, 'cut, not closed politely');
    assert.equal((await gone)[0].name, 'mute');
    const deadline = Date.now() + 30_000;
    let row = await listed('mute');
    // The row is written once the queen handled the close; ask until it says so.
    while (row.connected && Date.now() < deadline) row = await listed('mute');
    assert.equal(row.connected, false);
    assert.ok(!queen.hub.all().some((x) => x.name === 'mute'));
  });
});
