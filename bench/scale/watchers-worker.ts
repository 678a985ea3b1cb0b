/**
 * Simulated watchers for the scale bench, in a worker thread of their own (two of them
 * share the count), so receiving thousands of frames does not wait behind the bench's
 * drones: WebSockets on `/api/events` subscribed to one job, each remembering when it
 * first reached each awaited seq.
 *
 * Messages from the bench: `{open, count}` (more sockets; answered `{opened}` once every
 * one of them subscribed), `{await, seq}` (answered `{reached, seq, at: [...]}` once every
 * socket has seq, with each socket's time as performance.timeOrigin + now()), `{close}`.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { WebSocket } from 'ws';

const { url, token, jobId } = workerData as { url: string; token: string; jobId: string };
const now = () => performance.timeOrigin + performance.now();

interface Watcher {
  ws: WebSocket;
  lastSeq: number;
}
const watchers: Watcher[] = [];
/** The awaited seq and when each socket reached it. */
let awaiting: { seq: number; at: (number | undefined)[]; left: number } | undefined;

function open(): Promise<void> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/api/events`, { headers: { authorization: `Bearer ${token}` } });
    const watcher: Watcher = { ws, lastSeq: 0 };
    const index = watchers.push(watcher) - 1;
    ws.once('error', reject);
    ws.on('message', (raw) => {
      const text = raw.toString();
      // Only events matter here; a cheap test avoids parsing status snapshots twice.
      if (!text.startsWith('{"type":"events"')) {
        if (text.startsWith('{"type":"job"')) resolve();
        return;
      }
      const m = JSON.parse(text) as { events: { seq: number }[] };
      watcher.lastSeq = m.events[m.events.length - 1].seq;
      if (awaiting && awaiting.at[index] === undefined && watcher.lastSeq >= awaiting.seq) {
        awaiting.at[index] = now();
        if (--awaiting.left === 0) finish();
      }
    });
    ws.once('open', () => ws.send(JSON.stringify({ type: 'subscribe', jobId })));
  });
}

function finish(): void {
  const done = awaiting!;
  awaiting = undefined;
  parentPort!.postMessage({ type: 'reached', seq: done.seq, at: done.at });
}

parentPort!.on('message', async (m: { type: 'open'; count: number } | { type: 'await'; seq: number } | { type: 'close' }) => {
  if (m.type === 'open') {
    let left = m.count;
    await Promise.all(Array.from({ length: Math.min(64, m.count) }, async () => {
      while (left > 0) {
        left--;
        await open();
      }
    }));
    parentPort!.postMessage({ type: 'opened', total: watchers.length });
  } else if (m.type === 'await') {
    const at = watchers.map((w) => (w.lastSeq >= m.seq ? now() : undefined));
    awaiting = { seq: m.seq, at, left: at.filter((t) => t === undefined).length };
    if (awaiting.left === 0) finish();
  } else {
    for (const w of watchers) w.ws.terminate();
    parentPort!.close();
  }
});
