/** Draining through the API and through the drones page: the same service, which also wakes the dispatcher. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { QueenMessage } from '../../common/protocol/index.ts';
import { listDrones, registerDrone } from '../../server/db/drones.ts';
import { drainDrone } from '../../server/scheduler/drain-drone.ts';
import { DroneHub } from '../../server/scheduler/drone-hub.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/test-db.ts';

describe('drainDrone', () => {
  let database: TestDatabase;
  before(async () => { database = await createTestDatabase(); });
  after(async () => { await database?.close(); });

  it('marks the drone draining in memory and in the database, tells it, and announces the change to the dispatcher', async () => {
    const row = await registerDrone(database.db, { name: 'd1', labels: [], plugins: [], capacity: 2, speed: 1 });
    const sent: QueenMessage[] = [];
    const hub = new DroneHub();
    const drone = hub.add({ id: row.id, name: row.name, labels: [], plugins: [], capacity: 2, speed: 1, draining: false, tokenId: null },
      { send: (m) => sent.push(m), close: () => {}, probe: async () => true });
    let kicks = 0;
    hub.on('capacity', (d) => { if (d === drone) kicks++; });
    await drainDrone({ db: database.db, hub }, drone);
    assert.equal(drone.draining, true);
    assert.equal((await listDrones(database.db)).find((d) => d.id === row.id)?.draining, true);
    assert.deepEqual(sent, [{ type: 'drone:drain' }]);
    assert.equal(kicks, 1);
  });
});
