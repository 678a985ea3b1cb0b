/**
 * Simulated drones for the scale bench: real WebSockets speaking the drone protocol
 * (`drone:hello`, job events — the first, `job:started`, taking the assignment — and the
 * link's upkeep as a real drone does it: `job:heartbeat` every period the queen's welcome
 * gives while it runs jobs, and a ping every 10 s after which nothing came from the queen
 * — drone/connection.ts), without running anything. Kept lean — no message history —
 * since a bench opens thousands.
 */
import { WebSocket } from 'ws';
import { tickPeer, watchPeer } from '../../common/peer-liveness.ts';
import { PROTOCOL_VERSION, type JobAssign, type QueenMessage } from '../../common/protocol/index.ts';
import { DRONE_TOKEN } from '../../test/helpers/queen.ts';

export interface SimDrone {
  name: string;
  /** Jobs assigned and not finished: jobId → lease (what heartbeats vouch for). */
  running: Map<string, string>;
  send(message: unknown): void;
  /** Runs a trivial job to its end: accepted, started, one command printing one line, passed. */
  runTrivial(assign: JobAssign): void;
  close(): void;
}

export interface SimDroneOptions {
  port: number;
  capacity: number;
  /** Called for every `job:assign`; the drone only records it unless this acts. */
  onAssign?(drone: SimDrone, assign: JobAssign): void;
}

async function connectOne(name: string, options: SimDroneOptions): Promise<SimDrone> {
  const ws = new WebSocket(`ws://127.0.0.1:${options.port}/drone`, { headers: { authorization: `Bearer ${DRONE_TOKEN}` } });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  let heartbeat: NodeJS.Timeout | undefined;
  // The drone's own period (QueenConnection's pingIntervalMs default).
  const liveness = watchPeer(ws, 2);
  const pinger = setInterval(() => tickPeer(ws, liveness), 10_000);
  const drone: SimDrone = {
    name,
    running: new Map(),
    send: (m) => {
      if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(m));
    },
    runTrivial(a) {
      const base = (seq: number) => ({ jobId: a.spec.jobId, lease: a.lease, seq, at: Date.now() });
      drone.send({ type: 'job:started', ...base(1) });
      drone.send({ type: 'job:cmd:start', ...base(2), cmd: 0, phase: 'test', command: 'true' });
      drone.send({ type: 'job:cmd:stdout', ...base(3), cmd: 0, data: 'ok\n' });
      drone.send({ type: 'job:cmd:done', ...base(4), cmd: 0, exitCode: 0, durationMs: 1 });
      drone.send({ type: 'job:phase:done', ...base(5), phase: 'test', status: 'passed', durationMs: 1 });
      drone.send({ type: 'job:done', ...base(6), status: 'passed' });
      drone.running.delete(a.spec.jobId);
    },
    close: () => {
      clearInterval(heartbeat);
      clearInterval(pinger);
      ws.close();
    },
  };
  const welcomed = new Promise<number>((resolve, reject) => {
    ws.on('message', (raw) => {
      const m = JSON.parse(raw.toString()) as QueenMessage;
      if (m.type === 'queen:welcome') resolve(m.heartbeatMs);
      else if (m.type === 'job:assign') {
        drone.running.set(m.spec.jobId, m.lease);
        options.onAssign?.(drone, m);
      } else if (m.type === 'error') reject(new Error(`${name}: ${m.message}`));
    });
  });
  ws.on('close', () => {
    clearInterval(heartbeat);
    clearInterval(pinger);
  });
  drone.send({ type: 'drone:hello', version: PROTOCOL_VERSION, name, capacity: options.capacity, speed: 1, labels: [], plugins: [], running: [] });
  const heartbeatMs = await welcomed;
  heartbeat = setInterval(() => {
    if (drone.running.size > 0) drone.send({ type: 'job:heartbeat', jobs: [...drone.running].map(([jobId, lease]) => ({ jobId, lease })) });
  }, heartbeatMs);
  return drone;
}

/**
 * Connects one drone, trying again a few times: a queen busy with thousands of drones may
 * answer an upgrade late (408) or drop it, which is a figure to see, not a reason to stop.
 */
async function connectPatiently(name: string, options: SimDroneOptions): Promise<SimDrone> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await connectOne(name, options);
    } catch (err) {
      if (attempt === 5) throw err;
      await new Promise((r) => setTimeout(r, 500 * attempt));
    }
  }
}

/** Connects `count` drones named `<prefix>-<i>`, a few dozen at a time. */
export async function connectSimDrones(prefix: string, count: number, options: SimDroneOptions): Promise<SimDrone[]> {
  const drones: SimDrone[] = [];
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      drones[i] = await connectPatiently(`${prefix}-${i}`, options);
    }
  };
  await Promise.all(Array.from({ length: Math.min(32, count) }, worker));
  return drones;
}
