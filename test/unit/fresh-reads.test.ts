import assert from 'node:assert/strict';
import { it } from 'node:test';
import { FreshReads } from '../../server/util/fresh-reads.ts';
import { heldLoads } from '../helpers/held-loads.ts';

it('callers that arrive while a load runs share the next one; other keys load on their own', async () => {
  const src = heldLoads();
  const reads = new FreshReads<string>();
  const answers = Promise.all([reads.read('a', () => src.load('a')), reads.read('a', () => src.load('a')), reads.read('b', () => src.load('b'))]);
  await src.startedCount(2);
  // The second 'a' asked once the first 'a' load was under way: it waits for the next one.
  for (const s of src.started) s.release();
  await src.startedCount(3);
  src.started[2].release();
  assert.deepEqual(await answers, ['a@0', 'a@0', 'b@0']);
  assert.equal(src.started.filter((s) => s.key === 'a').length, 2);
  assert.equal(reads.size, 0);
});

it('never answers a caller with a load that started before it asked', async () => {
  const src = heldLoads();
  const reads = new FreshReads<string>();
  const first = reads.read('k', () => src.load('k'));
  await src.startedCount(1);
  src.set(1); // changed (say, the token revoked) after the first load read it
  const late = [reads.read('k', () => src.load('k')), reads.read('k', () => src.load('k')), reads.read('k', () => src.load('k'))];
  src.started[0].release();
  assert.equal(await first, 'k@0');
  await src.startedCount(2);
  assert.equal(src.started.length, 2, 'the late callers share one load');
  src.started[1].release();
  assert.deepEqual(await Promise.all(late), ['k@1', 'k@1', 'k@1']);
  assert.equal(reads.size, 0);
});

it('a failed load fails its own callers only; the next load serves the next ones', async () => {
  const src = heldLoads();
  const reads = new FreshReads<string>();
  const first = reads.read('k', () => src.load('k'));
  await src.startedCount(1);
  const second = reads.read('k', () => src.load('k'));
  src.started[0].fail(new Error('database away'));
  await assert.rejects(first, /database away/);
  await src.startedCount(2);
  src.started[1].release();
  assert.equal(await second, 'k@0');
  assert.equal(reads.size, 0);
});
