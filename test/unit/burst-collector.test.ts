/** BurstCollector: one collection after a big enough burst has gone quiet, none for small work. */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { constants, PerformanceObserver } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { BurstCollector, collectGarbage, collectYoungGarbage } from '../../common/burst-collector.ts';

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

it('a trickle of less than quietBytes per quietMs does not put the collection off; more does', (t) => {
  t.mock.timers.enable({ apis: ['setTimeout', 'Date'] });
  let collections = 0;
  const collector = new BurstCollector({ minBytes: 100, quietMs: 40, quietBytes: 50, collect: () => collections++ });
  collector.note(200); // the burst
  // Another job's few bytes every 15 ms: 10 bytes a note, 30 within any 40 ms.
  for (let i = 0; i < 3; i++) {
    t.mock.timers.tick(13);
    collector.note(10);
  }
  t.mock.timers.tick(1);
  assert.equal(collections, 1, 'collected quietMs after the burst, though work went on');
  for (let i = 0; i < 9; i++) {
    t.mock.timers.tick(15);
    collector.note(10);
  }
  t.mock.timers.tick(100);
  assert.equal(collections, 1, 'a trickle under minBytes is not a burst');

  collector.note(200); // a second burst, then work of quietBytes within quietMs
  t.mock.timers.tick(20);
  collector.note(30);
  t.mock.timers.tick(10);
  collector.note(30); // 60 bytes within 30 ms: busy, 30 ms after the burst
  t.mock.timers.tick(39);
  assert.equal(collections, 1, 'busy work starts the quiet period again');
  t.mock.timers.tick(1);
  assert.equal(collections, 2);
  collector.stop();
});

it('without quietBytes any work starts the quiet period again', (t) => {
  t.mock.timers.enable({ apis: ['setTimeout', 'Date'] });
  let collections = 0;
  const collector = new BurstCollector({ minBytes: 100, quietMs: 40, collect: () => collections++ });
  collector.note(200);
  for (let i = 0; i < 6; i++) {
    t.mock.timers.tick(30);
    collector.note(1);
  }
  assert.equal(collections, 0);
  t.mock.timers.tick(40);
  assert.equal(collections, 1);
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

/** A young generation that grows when allowed and shrinks after `shrinksAfter` collections. */
function fakeYoung(shrinksAfter: number) {
  const calls: string[] = [];
  let size = 1;
  let collections = 0;
  const young = {
    fromBytes: 50,
    retryMs: 100,
    retries: 3,
    allow: () => { calls.push('allow'); size = 16; },
    restrict: () => calls.push('restrict'),
    grown: () => size > 1,
  };
  const collect = () => {
    collections++;
    calls.push('collect');
    if (collections >= shrinksAfter) size = 1;
  };
  return { young, collect, calls };
}

it('lets the young generation grow for a burst and collects until it is back to its size', (t) => {
  t.mock.timers.enable({ apis: ['setTimeout', 'Date'] });
  const { young, collect, calls } = fakeYoung(3);
  const collector = new BurstCollector({ minBytes: 1000, quietMs: 40, collect, young });
  collector.note(30);
  assert.deepEqual(calls, [], 'below fromBytes nothing changes');
  collector.note(30);
  assert.deepEqual(calls, ['allow']);
  collector.note(30);
  assert.deepEqual(calls, ['allow'], 'allowed once per burst');
  t.mock.timers.tick(40);
  // Under minBytes, but the young generation grew: restricted, then collected.
  assert.deepEqual(calls, ['allow', 'restrict', 'collect']);
  t.mock.timers.tick(99);
  assert.equal(calls.length, 3, 'the next try waits retryMs of quiet');
  t.mock.timers.tick(1);
  assert.deepEqual(calls, ['allow', 'restrict', 'collect', 'collect']);
  collector.note(10); // a little work (no new burst) puts the next try off
  t.mock.timers.tick(60);
  assert.equal(calls.length, 4);
  t.mock.timers.tick(40);
  assert.deepEqual(calls, ['allow', 'restrict', 'collect', 'collect', 'collect'], 'back to its size at the third collection');
  for (let i = 0; i < 10; i++) t.mock.timers.tick(100);
  assert.equal(calls.length, 5, 'no tries once it shrank');
  collector.stop();
});

it('tries a bounded number of times, and a new burst starts over', (t) => {
  t.mock.timers.enable({ apis: ['setTimeout', 'Date'] });
  const { young, collect, calls } = fakeYoung(Infinity);
  const collector = new BurstCollector({ minBytes: 1000, quietMs: 40, collect, young });
  collector.note(60);
  t.mock.timers.tick(40);
  t.mock.timers.tick(100);
  assert.deepEqual(calls, ['allow', 'restrict', 'collect', 'collect']);
  collector.note(60); // a new burst during the tries
  assert.deepEqual(calls.slice(4), ['allow']);
  t.mock.timers.tick(100);
  assert.deepEqual(calls.slice(4), ['allow', 'restrict', 'collect'], 'the new burst is collected after quietMs, not retryMs');
  for (let i = 0; i < 100; i++) t.mock.timers.tick(100);
  assert.deepEqual(calls.slice(4), ['allow', 'restrict', 'collect', 'collect', 'collect', 'collect'], '1 + retries collections, then it gives up');
  collector.stop();
});

it('a burst that did not make the young generation grow is not collected', (t) => {
  t.mock.timers.enable({ apis: ['setTimeout', 'Date'] });
  const calls: string[] = [];
  const young = { fromBytes: 50, retryMs: 100, retries: 3, allow: () => calls.push('allow'), restrict: () => calls.push('restrict'), grown: () => false };
  const collector = new BurstCollector({ minBytes: 1000, quietMs: 40, collect: () => calls.push('collect'), young });
  collector.note(60);
  for (let i = 0; i < 10; i++) t.mock.timers.tick(100);
  assert.deepEqual(calls, ['allow', 'restrict']);
  collector.stop();
});

it('asks for a young collection every sweepEveryBytes of work, and none without it', () => {
  let sweeps = 0;
  const collector = new BurstCollector({ minBytes: 1e9, quietMs: 1e6, sweepEveryBytes: 100, sweep: () => sweeps++ });
  for (let i = 0; i < 9; i++) collector.note(30); // 270 bytes: at 120 and at 240
  assert.equal(sweeps, 2);
  collector.note(1000);
  assert.equal(sweeps, 3, 'one for a large piece of work, not one per 100 bytes of it');
  collector.stop();
  let unasked = 0;
  const plain = new BurstCollector({ minBytes: 1e9, quietMs: 1e6, sweep: () => unasked++ });
  for (let i = 0; i < 100; i++) plain.note(1000);
  assert.equal(unasked, 0);
  plain.stop();
});

it('runs a real young collection', async () => {
  // Seen as V8 reports it: a minor collection (what frees dead Buffers' memory, whose
  // sweeping V8 finishes in the background — so the memory itself is not what is awaited).
  let observer: PerformanceObserver | undefined;
  let deadline: NodeJS.Timeout | undefined;
  const minor = new Promise<void>((resolve, reject) => {
    observer = new PerformanceObserver((list) => {
      if (list.getEntries().some((e) => (e as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind === constants.NODE_PERFORMANCE_GC_MINOR)) resolve();
    });
    observer.observe({ entryTypes: ['gc'] });
    // The report comes on a later turn of the event loop, which this timer also keeps alive.
    deadline = setTimeout(() => reject(new Error('no minor collection reported')), 10_000);
  });
  collectYoungGarbage();
  await minor.finally(() => { observer!.disconnect(); clearTimeout(deadline); });
});

it('a setting for the burst holds from its fromBytes until after the collection that ends it', (t) => {
  t.mock.timers.enable({ apis: ['setTimeout', 'Date'] });
  const calls: string[] = [];
  const collector = new BurstCollector({
    minBytes: 100,
    quietMs: 40,
    collect: () => calls.push('collect'),
    during: { fromBytes: 30, allow: () => calls.push('allow'), restrict: () => calls.push('restrict') },
  });
  collector.note(20);
  assert.deepEqual(calls, [], 'not below fromBytes');
  collector.note(20);
  collector.note(100);
  assert.deepEqual(calls, ['allow'], 'once, when the burst reached fromBytes');
  t.mock.timers.tick(40);
  assert.deepEqual(calls, ['allow', 'collect', 'restrict'], 'undone after the collection, which it shapes');

  // A burst that reached fromBytes but not minBytes: undone once quiet, with no collection.
  collector.note(50);
  t.mock.timers.tick(39);
  assert.deepEqual(calls.slice(3), ['allow']);
  t.mock.timers.tick(1);
  assert.deepEqual(calls.slice(3), ['allow', 'restrict']);

  // Stopped during a burst: the setting is undone (it is the process's, not the collector's).
  collector.note(50);
  collector.stop();
  assert.deepEqual(calls.slice(5), ['allow', 'restrict']);
  t.mock.timers.tick(100);
  assert.deepEqual(calls.slice(5), ['allow', 'restrict'], 'and nothing follows');
});
