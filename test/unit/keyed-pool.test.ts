import assert from 'node:assert/strict';
import { it } from 'node:test';
import { KeyedPool } from '../../server/util/keyed-pool.ts';

/** A task that runs until released, recording when it started. */
function gated(started: string[], name: string) {
  let release!: () => void;
  const done = new Promise<void>((resolve) => (release = resolve));
  return { task: () => (started.push(name), done), release };
}

it('starts a task as soon as a slot is free, one per key, the rest in order', async () => {
  const started: string[] = [];
  const pool = new KeyedPool(2, (err) => assert.fail(String(err)));
  const hang = gated(started, 'hang-1');
  const tasks = {
    hang2: gated(started, 'hang-2'), a1: gated(started, 'a-1'), b1: gated(started, 'b-1'), a2: gated(started, 'a-2'),
  };
  pool.add('hanging', hang.task);
  pool.add('hanging', tasks.hang2.task);
  pool.add('a', tasks.a1.task);
  pool.add('b', tasks.b1.task);
  pool.add('a', tasks.a2.task);
  assert.deepEqual(started, ['hang-1', 'a-1'], 'the second job of the hanging key does not take the free slot');
  tasks.a1.release();
  await new Promise(setImmediate);
  assert.deepEqual(started, ['hang-1', 'a-1', 'b-1'], 'the next other key first, in order');
  tasks.b1.release();
  await new Promise(setImmediate);
  assert.deepEqual(started, ['hang-1', 'a-1', 'b-1', 'a-2']);
  tasks.a2.release();
  await new Promise(setImmediate);
  assert.equal(pool.size, 2, 'the hanging key: one running, one waiting, holding one slot');
  const idle = pool.idle();
  assert.equal(pool.clear(), 1);
  hang.release();
  await idle;
  assert.equal(pool.size, 0);
});
