/**
 * The live fan-out at scale: many sockets following jobs each get every event of the jobs
 * they follow — once, in order, and nothing of other jobs — and a socket that stops
 * reading while a job prints megabytes costs the queen at most its small buffer cap, then
 * catches up from storage with every line once, in order.
 */
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { WebSocket } from 'ws';
import { appendJobEvents, type StoredEvent } from '../../server/db/job-log.ts';
import { CLIENT_BUFFER_CAP_BYTES } from '../../server/live/live-client.ts';
import { handRunJobs, type HandRunJobs } from '../helpers/hand-run-job.ts';
import { ADMIN_TOKEN, startTestQueen, type TestQueen } from '../helpers/queen.ts';

let queen: TestQueen;
let jobs: HandRunJobs;

before(async () => {
  // Pings every minute: a paused reader must not be dropped as a dead peer while paused.
  queen = await startTestQueen({ HIVE_HEARTBEAT_MS: '30000' });
  jobs = await handRunJobs(queen);
});
after(async () => {
  await jobs?.close();
  await queen?.stop();
});

interface Follower {
  ws: WebSocket;
  /** Events received, per job id. */
  events: Map<string, { seq: number; data?: string }[]>;
  /** The `events` frames received, per job id. */
  frames: Map<string, number>;
  /** Resolves once every listed job reached its seq. */
  reached(targets: Map<string, number>, timeoutMs?: number): Promise<void>;
}

async function follow(jobIds: string[]): Promise<Follower> {
  const ws = new WebSocket(`${queen.url.replace(/^http/, 'ws')}/api/events`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  const events = new Map<string, { seq: number; data?: string }[]>();
  const frames = new Map<string, number>();
  let check = () => {};
  ws.on('message', (raw) => {
    const m = JSON.parse(raw.toString());
    if (m.type === 'error') throw new Error(`the queen answered an error: ${raw}`);
    if (m.type === 'events') {
      let list = events.get(m.jobId);
      if (!list) events.set(m.jobId, (list = []));
      list.push(...m.events);
      frames.set(m.jobId, (frames.get(m.jobId) ?? 0) + 1);
    }
    check();
  });
  for (const jobId of jobIds) ws.send(JSON.stringify({ type: 'subscribe', jobId }));
  return {
    ws,
    events,
    frames,
    reached(targets, timeoutMs = 20_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          const got = [...targets.keys()].map((id) => `${id}: ${events.get(id)?.at(-1)?.seq ?? 0}/${targets.get(id)}`);
          reject(new Error(`not every event arrived within ${timeoutMs} ms (${got.join(', ')})`));
        }, timeoutMs);
        check = () => {
          for (const [id, seq] of targets) if ((events.get(id)?.at(-1)?.seq ?? 0) < seq) return;
          clearTimeout(timer);
          check = () => {};
          resolve();
        };
        check();
      });
    },
  };
}

function assertOnceInOrder(events: { seq: number }[] | undefined, lastSeq: number, who: string): void {
  assert.ok(events, `${who} received nothing`);
  assert.equal(events.length, lastSeq, `${who}: ${events.length} events for seqs 1…${lastSeq}`);
  events.forEach((e, i) => assert.equal(e.seq, i + 1, `${who}: seq ${e.seq} at position ${i}`));
}

it('gives 200 sockets every event of the jobs they follow once, in order, and nothing of other jobs', async () => {
  const a = await jobs.start();
  const b = await jobs.start();
  // Some history before anyone subscribes: subscribers read it from storage first.
  await a.print(['a history 1\n', 'a history 2\n']);
  await b.print(['b history\n']);
  // Rounds of writes span several turns of the event loop (100 subscribers a turn in
  // production), so batches stored during a round are merged into the next one.
  queen.live.subscribersPerTurn = 7;
  // Even sockets follow a, odd ones b, every tenth both.
  const followers = await Promise.all(Array.from({ length: 200 }, (_, i) =>
    follow(i % 10 === 0 ? [a.id, b.id] : i % 2 === 0 ? [a.id] : [b.id])));
  // Interleaved batches of the two jobs, while the subscriptions are still catching up.
  for (let k = 0; k < 30; k++) {
    await a.print([`a ${k}.1\n`, `a ${k}.2\n`]);
    await b.print([`b ${k}\n`]);
  }
  const readsBefore = queen.live.stats().catchUpReads;
  await Promise.all(followers.map((f, i) => f.reached(new Map(i % 10 === 0 ? [[a.id, a.seq], [b.id, b.seq]] : i % 2 === 0 ? [[a.id, a.seq]] : [[b.id, b.seq]]))));

  followers.forEach((f, i) => {
    const followsA = i % 2 === 0;
    const followsB = i % 2 === 1 || i % 10 === 0;
    if (followsA) assertOnceInOrder(f.events.get(a.id), a.seq, `socket ${i}, job a`);
    else assert.equal(f.events.get(a.id), undefined, `socket ${i} got events of a job it does not follow`);
    if (followsB) assertOnceInOrder(f.events.get(b.id), b.seq, `socket ${i}, job b`);
    else assert.equal(f.events.get(b.id), undefined, `socket ${i} got events of a job it does not follow`);
  });
  const aLines = followers[0].events.get(a.id)!.flatMap((e) => e.data ?? []).join('');
  assert.equal(aLines, 'a history 1\na history 2\n' + Array.from({ length: 30 }, (_, k) => `a ${k}.1\na ${k}.2\n`).join(''));
  const stats = queen.live.stats();
  assert.equal(stats.subscriptions, 220);
  // 220 subscriptions caught up from storage with reads shared between them.
  assert.ok(readsBefore < 220, `${readsBefore} catch-up reads for 220 subscriptions: reads were not shared`);
  for (const f of followers) f.ws.close();
  queen.live.subscribersPerTurn = 100;
});

it('a batch stored while a round of writes is under way joins it: the rest of the crowd gets both in one frame, every event once, in order', async () => {
  const job = await jobs.start();
  await job.print(['before\n']);
  queen.live.subscribersPerTurn = 10;
  const followers = await Promise.all(Array.from({ length: 60 }, () => follow([job.id])));
  await Promise.all(followers.map((f) => f.reached(new Map([[job.id, job.seq]]))));
  const framesBefore = followers.map((f) => f.frames.get(job.id) ?? 0);
  // Two batches stored; the fan-out hears of the second after its round for the first
  // wrote to the first 20 followers (two turns: the round's next turn was queued first).
  const at = Date.now();
  const first = { type: 'job:cmd:stdout', seq: job.seq + 1, at, cmd: 0, data: 'first\n' } as StoredEvent;
  const second = { type: 'job:cmd:stdout', seq: job.seq + 2, at, cmd: 0, data: 'second\n' } as StoredEvent;
  assert.ok(await appendJobEvents(queen.database.db, job.id, job.lease, [first, second]));
  job.seq += 2;
  queen.bus.emit('job-events', job.id, [first], 1);
  await new Promise((resolve) => setImmediate(resolve));
  queen.bus.emit('job-events', job.id, [second], 1);
  await Promise.all(followers.map((f) => f.reached(new Map([[job.id, job.seq]]))));

  followers.forEach((f, i) => assertOnceInOrder(f.events.get(job.id), job.seq, `socket ${i}`));
  // Sorted: the sockets connected at once, so the queen's order of subscribers is not
  // the order of this array; what is fixed is how many the first round reached.
  const frames = followers.map((f, i) => f.frames.get(job.id)! - framesBefore[i]).sort((x, y) => y - x);
  assert.deepEqual(frames, [...Array(20).fill(2), ...Array(40).fill(1)], 'reached before the second batch: two frames; after: one with both');
  for (const f of followers) f.ws.close();
  queen.live.subscribersPerTurn = 100;
});

it('holds at most its cap for a socket that stops reading while a job prints megabytes, then gives it every line once, in order', async () => {
  const job = await jobs.start();
  const paused = await follow([job.id]);
  const reading = await follow([job.id]);
  await job.print(['first\n']);
  await paused.reached(new Map([[job.id, job.seq]]));
  paused.ws.pause(); // a browser tab that stopped reading

  // 24 MiB in batches of 64 lines of 1 KiB: far more than the sockets' kernel buffers hold.
  const line = (n: number) => `${String(n).padStart(8, '0')} ${'x'.repeat(1014)}\n`;
  let n = 0;
  for (let batch = 0; batch < 384; batch++) await job.print(Array.from({ length: 64 }, () => line(n++)));
  // The socket that reads keeps up live meanwhile.
  await reading.reached(new Map([[job.id, job.seq]]), 25_000);

  const { peakBufferedBytes } = queen.live.stats();
  assert.ok(peakBufferedBytes > 0, 'something was held for the paused socket');
  assert.ok(peakBufferedBytes <= CLIENT_BUFFER_CAP_BYTES, `the queen held ${peakBufferedBytes} bytes for one socket (cap ${CLIENT_BUFFER_CAP_BYTES})`);

  paused.ws.resume();
  await paused.reached(new Map([[job.id, job.seq]]), 25_000);
  for (const f of [paused, reading]) {
    const events = f.events.get(job.id)!;
    assertOnceInOrder(events, job.seq, f === paused ? 'the paused socket' : 'the reading socket');
    const lines = events.flatMap((e) => e.data ?? []).filter((d) => d !== 'first\n');
    assert.equal(lines.length, n);
    lines.forEach((d, i) => assert.equal(d, line(i)));
    f.ws.close();
  }
  assert.ok(queen.live.stats().peakBufferedBytes <= CLIENT_BUFFER_CAP_BYTES, 'catching up stayed under the cap too');
});
