/** BurstCollector: one collection after a big enough burst has gone quiet, none for small work. */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { BurstCollector, collectGarbage } from '../../common/burst-collector.ts';

it('collects once when a burst of at least minBytes has been quiet for quietMs', (t) => {
  // The clock is the test's: a loaded machine cannot stretch a "burst" into quiet periods.
  t.mock.timers.enable({ apis: ['setTimeout', 'Date'] });
  const sleep = (ms: number) => t.mock.timers.tick(ms);
  let collections = 0;
  const collector = new BurstCollector({ minBytes: 100, quietMs: 40, collect: () => collections++ });
  collector.note(60);
  sleep(80);
  assert.equal(collections, 0, 'too little work to collect after');
  for (let i = 0; i < 5; i++) {
    collector.note(30); // reaches minBytes at the first note, then keeps the burst going
    sleep(15);
  }
  assert.equal(collections, 0, 'not while the burst goes on');
  sleep(80);
  assert.equal(collections, 1);
  sleep(80);
  assert.equal(collections, 1, 'once per burst');
  collector.note(60);
  sleep(80);
  assert.equal(collections, 1, 'the count started again after the collection');
  collector.stop();
});

it('runs a real full collection', async () => {
  let garbage: unknown[] | undefined = Array.from({ length: 1000 }, (_, i) => ({ i }));
  const ref = new WeakRef(garbage[0] as object);
  garbage = undefined;
  await sleep(0); // a WeakRef's target lives at least until the job that made it ends
  collectGarbage();
  assert.equal(ref.deref(), undefined);
});
