/**
 * What drones declare after their hello reaches their rows (the fleet view) in batches:
 * the latest declaration of each drone wins, and a write that failed is made with the next.
 */
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import type { Db } from '../../server/db/client.ts';
import { findDrone, isHeld, registerDrone } from '../../server/db/drones.ts';
import { createLogger } from '../../server/logger.ts';
import { DroneInfoWrites } from '../../server/scheduler/drone-info-writes.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/test-db.ts';

let database: TestDatabase;
before(async () => { database = await createTestDatabase(); });
after(async () => { await database?.close(); });

const register = async (name: string) => {
  const registered = await registerDrone(database.db, { name, labels: [], plugins: [], capacity: 1, speed: 1 }, '00000000-0000-4000-8000-000000000001');
  if (isHeld(registered)) throw new Error(`${name} is held by ${registered.heldBy.address}`);
  return registered;
};

it('writes each drone\'s latest declaration, many drones in one statement', async () => {
  const [a, b] = [await register('info-a'), await register('info-b')];
  let statements = 0;
  const counting = new Proxy(database.db, {
    get(target, key, receiver) {
      if (key === 'execute') statements++;
      return Reflect.get(target, key, receiver);
    },
  }) as Db;
  const writes = new DroneInfoWrites({ db: counting, log: createLogger('silent') });
  writes.write({ id: a.id, capacity: 2, speed: 1, labels: ['x'] });
  writes.write({ id: b.id, capacity: 3, speed: 2, labels: [] });
  writes.write({ id: a.id, capacity: 4, speed: 1.5, labels: ['y', 'z'] });
  await writes.settled();
  assert.equal(statements, 2, 'the first alone, the two that came during it together');
  const [rowA, rowB] = [await findDrone(database.db, a.id), await findDrone(database.db, b.id)];
  assert.deepEqual([rowA?.capacity, rowA?.speed, rowA?.labels], [4, 1.5, ['y', 'z']]);
  assert.deepEqual([rowB?.capacity, rowB?.speed, rowB?.labels], [3, 2, []]);
});

it('makes a write that failed with the next one', async () => {
  const [c, d] = [await register('info-c'), await register('info-d')];
  let failNext = true;
  const flaky = new Proxy(database.db, {
    get(target, key, receiver) {
      if (key === 'execute' && failNext) {
        failNext = false;
        return () => Promise.reject(new Error('database away'));
      }
      return Reflect.get(target, key, receiver);
    },
  }) as Db;
  const warned: unknown[] = [];
  const log = createLogger('silent');
  const writes = new DroneInfoWrites({ db: flaky, log: Object.assign(Object.create(log), { warn: (o: unknown) => warned.push(o) }) });
  writes.write({ id: c.id, capacity: 5, speed: 1, labels: [] });
  await writes.settled();
  assert.equal(warned.length, 1, 'the failure was logged');
  assert.equal((await findDrone(database.db, c.id))?.capacity, 1, 'not written yet');
  writes.write({ id: d.id, capacity: 6, speed: 1, labels: [] });
  await writes.settled();
  assert.equal((await findDrone(database.db, c.id))?.capacity, 5);
  assert.equal((await findDrone(database.db, d.id))?.capacity, 6);
});
