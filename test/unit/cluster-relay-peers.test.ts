/**
 * How a queen learns that other queens are live (cluster-relay.ts), with the notices
 * delivered through an in-memory stand-in for LISTEN/NOTIFY and the count of live queens
 * in the test's hands — the orders of events that a real PostgreSQL makes rare.
 */
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { describe, it } from 'node:test';
import type { Db } from '../../server/db/client.ts';
import type { Notifier } from '../../server/db/notifier.ts';
import type { JobLifecycle } from '../../server/jobs/job-lifecycle.ts';
import { LiveBus } from '../../server/jobs/live-bus.ts';
import { ClusterRelay } from '../../server/live/cluster-relay.ts';
import { silentLogger } from '../../server/logger.ts';
import { DroneHub } from '../../server/scheduler/drone-hub.ts';

/** LISTEN/NOTIFY among the notifiers it makes: a notice reaches every listener of its channel, asynchronously. */
class NoticeBoard {
  readonly #listeners = new Map<string, Set<(payload: string) => void>>();
  readonly sent: { channel: string; payload: Record<string, string> }[] = [];
  /** Channels whose notices are held back (not delivered) until released. */
  readonly held = new Set<string>();
  readonly #heldNotices: { channel: string; payload: string }[] = [];

  notifier(): Notifier {
    return {
      shared: true,
      notify: async (channel, payload) => {
        this.sent.push({ channel, payload: JSON.parse(payload) });
        if (this.held.has(channel)) this.#heldNotices.push({ channel, payload });
        else this.#deliver(channel, payload);
      },
      listen: async (channel, onPayload) => {
        const set = this.#listeners.get(channel) ?? new Set();
        this.#listeners.set(channel, set);
        set.add(onPayload);
        return async () => {
          set.delete(onPayload);
        };
      },
    };
  }

  release(channel: string): void {
    this.held.delete(channel);
    for (const n of this.#heldNotices.splice(0)) this.#deliver(n.channel, n.payload);
  }

  #deliver(channel: string, payload: string): void {
    for (const listener of this.#listeners.get(channel) ?? []) queueMicrotask(() => listener(payload));
  }
}

function relay(board: NoticeBoard, queenId: string, countPeers: () => Promise<number>, welcomeWaitMs = 60_000) {
  const bus = new LiveBus();
  const lifecycle = Object.assign(new EventEmitter(), { remoteRunnable: () => {} }) as unknown as JobLifecycle;
  return {
    bus,
    relay: new ClusterRelay({
      db: {} as Db, bus, hub: new DroneHub(), notifier: board.notifier(), log: silentLogger(), lifecycle, queenId, countPeers, welcomeWaitMs,
    }),
  };
}

/** A promise and its resolve, for a count the test answers when it chooses. */
function deferred<T>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

describe('a queen learning of the others', () => {
  it('serves only once the live queen answered that it announces to it', async () => {
    const board = new NoticeBoard();
    const a = relay(board, 'queen-a', async () => 0);
    await a.relay.start();
    assert.equal(a.relay.announcing, false, 'alone: no notices');

    board.held.add('hive_queen_welcome');
    const b = relay(board, 'queen-b', async () => 1);
    let bStarted = false;
    const starting = b.relay.start().then(() => (bStarted = true));
    // A heard B join (and announces from now on), but its welcome has not reached B yet.
    while (!a.relay.announcing) await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
    assert.equal(bStarted, false, 'B waits for the welcome');
    board.release('hive_queen_welcome');
    await starting;
    assert.equal(bStarted, true);
    assert.ok(board.sent.some((n) => n.channel === 'hive_queen_welcome' && n.payload.q === 'queen-a' && n.payload.to === 'queen-b'));
    await a.relay.stop();
    await b.relay.stop();
  });

  it('stops waiting for a queen that never answers (stopped a moment ago, still counted live)', async () => {
    const board = new NoticeBoard();
    const b = relay(board, 'queen-b', async () => 1, 50);
    const before = performance.now();
    await b.relay.start();
    assert.ok(performance.now() - before >= 45, 'it waited for the welcome');
    assert.equal(b.relay.announcing, true, 'the queen counted live is still announced to');
    await b.relay.stop();
  });

  it('a count begun before a queen joined does not turn announcing off', async () => {
    const board = new NoticeBoard();
    const counts: ReturnType<typeof deferred<number>>[] = [];
    const a = relay(board, 'queen-a', () => {
      const d = deferred<number>();
      counts.push(d);
      return d.promise;
    });
    const aStarting = a.relay.start();
    while (counts.length === 0) await new Promise((r) => setImmediate(r)); // it listens first
    counts[0].resolve(0);
    await aStarting;
    assert.equal(a.relay.announcing, false);

    // A presence pass counts the live queens; B registers and joins while it runs.
    const pass = a.relay.refreshPeers();
    const b = relay(board, 'queen-b', async () => 1);
    await b.relay.start();
    assert.equal(a.relay.announcing, true, 'A heard B join');
    counts[1].resolve(0); // the count did not see B's row
    await pass;
    assert.equal(a.relay.announcing, true, 'a stale count of none leaves announcing on');

    // A count begun after the join is believed: B stopped, and the next pass finds no one.
    const next = a.relay.refreshPeers();
    counts[2].resolve(0);
    await next;
    assert.equal(a.relay.announcing, false);
    await a.relay.stop();
    await b.relay.stop();
  });
});
