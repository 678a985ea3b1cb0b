import assert from 'node:assert/strict';
import { it } from 'node:test';
import { InvalidatedReads } from '../../server/util/invalidated-reads.ts';
import { heldLoads } from '../helpers/held-loads.ts';

it('keeps a loaded value until it is invalidated; callers during a load share it', async () => {
  const src = heldLoads();
  const reads = new InvalidatedReads<string>({ maxEntries: 10 });
  const both = Promise.all([reads.read('k', () => src.load('k')), reads.read('k', () => src.load('k'))]);
  await src.startedCount(1);
  src.started[0].release();
  assert.deepEqual(await both, ['k@0', 'k@0']);
  assert.equal(await reads.read('k', () => src.load('k')), 'k@0');
  assert.equal(src.started.length, 1, 'kept: no second load');
  src.set(1);
  reads.invalidate('k');
  const again = reads.read('k', () => src.load('k'));
  await src.startedCount(2);
  src.started[1].release();
  assert.equal(await again, 'k@1');
});

it('a load overtaken by a change answers who asked before it, is not kept, and later callers load anew', async () => {
  const src = heldLoads();
  const reads = new InvalidatedReads<string>({ maxEntries: 10 });
  const early = reads.read('k', () => src.load('k'));
  await src.startedCount(1);
  src.set(1);
  reads.invalidate('k'); // the change is heard while the first load runs
  const late = reads.read('k', () => src.load('k'));
  await src.startedCount(2);
  src.started[0].release();
  src.started[1].release();
  assert.equal(await early, 'k@0');
  assert.equal(await late, 'k@1');
  assert.equal(await reads.read('k', () => src.load('k')), 'k@1', 'the later load is the one kept');
  assert.equal(src.started.length, 2);
});

it('invalidateAll drops every value and overtakes every load under way', async () => {
  const src = heldLoads();
  const reads = new InvalidatedReads<string>({ maxEntries: 10 });
  const a = reads.read('a', () => src.load('a'));
  await src.startedCount(1);
  src.started[0].release();
  await a;
  const b = reads.read('b', () => src.load('b'));
  await src.startedCount(2);
  reads.invalidateAll();
  src.started[1].release();
  await b;
  assert.equal(reads.size, 0);
  const again = Promise.all([reads.read('a', () => src.load('a')), reads.read('b', () => src.load('b'))]);
  await src.startedCount(4);
  for (const s of src.started.slice(2)) s.release();
  await again;
  assert.equal(reads.size, 2);
});

it('a failed load is not kept, and its error reaches everyone who shared it', async () => {
  const src = heldLoads();
  const reads = new InvalidatedReads<string>({ maxEntries: 10 });
  const both = Promise.allSettled([reads.read('k', () => src.load('k')), reads.read('k', () => src.load('k'))]);
  await src.startedCount(1);
  src.started[0].fail(new Error('database away'));
  assert.deepEqual((await both).map((r) => r.status), ['rejected', 'rejected']);
  const next = reads.read('k', () => src.load('k'));
  await src.startedCount(2);
  src.started[1].release();
  assert.equal(await next, 'k@0');
});

it('a value past its own end is loaded again; at most maxEntries are kept, least recently read dropped', async () => {
  let now = 1_000;
  const realNow = Date.now;
  Date.now = () => now;
  try {
    const loads: string[] = [];
    const reads = new InvalidatedReads<{ key: string; until: number }>({ maxEntries: 2, validUntil: (v) => v.until });
    const load = (key: string) => async () => {
      loads.push(key);
      return { key, until: now + 100 };
    };
    await reads.read('a', load('a'));
    now += 99;
    await reads.read('a', load('a'));
    assert.deepEqual(loads, ['a']);
    now += 1;
    await reads.read('a', load('a'));
    assert.deepEqual(loads, ['a', 'a'], 'past its end: loaded again');
    await reads.read('b', load('b'));
    await reads.read('a', load('a')); // a read last: b is the least recently read
    await reads.read('c', load('c'));
    assert.equal(reads.size, 2);
    await reads.read('a', load('a'));
    await reads.read('b', load('b'));
    assert.deepEqual(loads, ['a', 'a', 'b', 'c', 'b']);
  } finally {
    Date.now = realNow;
  }
});

it('a value it does not keep answers the callers that shared its load, and the next caller loads again', async () => {
  const src = heldLoads();
  // Keeps only values of version 1 and later (a running job's row is not kept, an ended one's is).
  const reads = new InvalidatedReads<string>({ maxEntries: 10, keeps: (value) => !value.endsWith('@0') });
  const both = Promise.all([reads.read('k', () => src.load('k')), reads.read('k', () => src.load('k'))]);
  await src.startedCount(1);
  src.started[0].release();
  assert.deepEqual(await both, ['k@0', 'k@0'], 'shared while it ran');
  assert.equal(reads.size, 0);
  src.set(1);
  const next = reads.read('k', () => src.load('k'));
  await src.startedCount(2);
  src.started[1].release();
  assert.equal(await next, 'k@1', 'not kept: loaded again, without any invalidation');
  assert.equal(await reads.read('k', () => src.load('k')), 'k@1');
  assert.equal(src.started.length, 2, 'a value it keeps is kept');
});
