/**
 * The whole drone (connection, outbox, runner, checkout, process executor) against a
 * small real WebSocket server that plays the queen: assignment, events, acks, a dropped
 * connection mid-job with replay, cancel, rejection, query-info and drain.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { after, before, describe, it } from 'node:test';
import pino from 'pino';
import { WebSocketServer } from 'ws';
import type WebSocket from 'ws';
import { pickHostEnv } from '../../drone/config.ts';
import type { DroneConfig } from '../../drone/config.ts';
import { Drone } from '../../drone/drone.ts';
import { ProcessExecutor } from '../../drone/executors/process.ts';
import { PROTOCOL_VERSION, parseDroneMessage } from '../../common/protocol/index.ts';
import type { DroneHello, DroneMessage, JobEvent, JobSpec, QueenMessage } from '../../common/protocol/index.ts';
import { createGitRepo } from '../helpers/git-repo.ts';
import type { GitRepo } from '../helpers/git-repo.ts';

const TOKEN = 'drone-token-for-tests';

/** One drone connection as the fake queen sees it. */
class Link {
  readonly messages: DroneMessage[] = [];
  private waiters: { match: (m: DroneMessage) => boolean; resolve: (m: DroneMessage) => void }[] = [];
  readonly closed: Promise<void>;

  constructor(readonly socket: WebSocket, readonly request: IncomingMessage) {
    socket.on('message', (data, binary) => {
      const message = parseDroneMessage(data as Buffer, binary);
      this.messages.push(message);
      this.waiters = this.waiters.filter((w) => (w.match(message) ? (w.resolve(message), false) : true));
    });
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()));
  }

  /** The first message (already received or still to come) that matches. */
  next<T extends DroneMessage>(match: (m: DroneMessage) => m is T): Promise<T>;
  next(match: (m: DroneMessage) => boolean): Promise<DroneMessage>;
  next(match: (m: DroneMessage) => boolean): Promise<DroneMessage> {
    const seen = this.messages.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve) => this.waiters.push({ match, resolve }));
  }

  /** Acknowledges every job event from now on, as a queen that stores them would. */
  autoAck(): void {
    const ack = (m: DroneMessage) => {
      if ('seq' in m) this.send({ type: 'job:ack', jobId: m.jobId, lease: m.lease, seq: m.seq });
    };
    this.messages.forEach(ack);
    this.socket.on('message', (data, binary) => ack(parseDroneMessage(data as Buffer, binary)));
  }

  send(message: QueenMessage | Record<string, unknown>): void {
    this.socket.send(JSON.stringify(message));
  }

  events(jobId: string): JobEvent[] {
    return this.messages.filter((m): m is JobEvent => 'seq' in m && m.jobId === jobId);
  }
}

class FakeQueen {
  readonly server: WebSocketServer;
  private waiting: ((link: Link) => void)[] = [];
  readonly links: Link[] = [];

  constructor(options: { autoPong?: boolean } = {}) {
    this.server = new WebSocketServer({
      ...options,
      port: 0,
      host: '127.0.0.1',
      path: '/drone',
      verifyClient: ({ req }: { req: IncomingMessage }) => req.headers.authorization === `Bearer ${TOKEN}`,
    });
    this.server.on('connection', (socket, request) => {
      const link = new Link(socket, request);
      this.links.push(link);
      this.waiting.shift()?.(link);
    });
  }

  get url(): string {
    return `ws://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** The next drone connection (or one that arrived and was not yet taken). */
  nextLink(): Promise<Link> {
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  close(): Promise<void> {
    for (const client of this.server.clients) client.terminate();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

const isType = <K extends DroneMessage['type']>(type: K, jobId?: string) =>
  (m: DroneMessage): m is Extract<DroneMessage, { type: K }> =>
    m.type === type && (jobId === undefined || (m as { jobId?: string }).jobId === jobId);

let root: string;
let repo: GitRepo;
let jobCount = 0;

function spec(test: string[], overrides: Partial<JobSpec> = {}): JobSpec {
  const jobId = `link-job-${++jobCount}`;
  return {
    jobId,
    projectId: 'p',
    projectName: 'link',
    number: jobCount,
    type: 'TEST',
    checkout: { repoUrl: repo.url, sha: repo.initialSha, branch: 'main' },
    env: {},
    secrets: {},
    phases: { environment: [], prepare: [], test: test.map((run) => ({ run })), deploy: [], cleanup: [] },
    timeoutMs: 60_000,
    requires: { labels: [], plugins: [] },
    ...overrides,
  };
}

async function startDrone(queen: FakeQueen, overrides: Partial<DroneConfig> = {}, pingIntervalMs = 1_000) {
  const dataDir = await mkdtemp(join(root, 'drone-'));
  const config: DroneConfig = {
    queenUrl: queen.url,
    token: TOKEN,
    name: 'test-drone',
    capacity: 1,
    speed: 2,
    labels: ['linux'],
    plugins: ['node'],
    dataDir,
    keepWorkspaces: false,
    hostEnv: pickHostEnv(process.env),
    ...overrides,
  };
  const drone = new Drone({
    config,
    logger: pino({ level: 'silent' }),
    executor: new ProcessExecutor({ hostEnv: config.hostEnv }),
    connection: { backoff: { initialMs: 10, maxMs: 50 }, pingIntervalMs },
  });
  const stopped = new Promise<void>((resolve) => drone.once('stopped', () => resolve()));
  const link = queen.nextLink();
  await drone.start();
  return { drone, stopped, link: await link };
}

/** Answers the hello with a welcome and returns the hello. */
async function welcome(link: Link, resume: { jobId: string; lease: string; ackedSeq: number; keep: boolean }[] = []) {
  const hello = await link.next(isType('drone:hello'));
  link.send({ type: 'queen:welcome', version: PROTOCOL_VERSION, droneId: 'd1', heartbeatMs: 30, resume });
  return hello;
}

before(async () => {
  root = await mkdtemp(join(os.tmpdir(), 'hive-drone-link-'));
  repo = await createGitRepo({ files: { 'README.md': 'link\n' } });
});
after(async () => {
  await repo.cleanup();
  await rm(root, { recursive: true, force: true });
});

describe('drone ⇄ queen link', () => {
  it('runs a job, survives a dropped connection and replays unacknowledged events without gap or duplicate', async () => {
    const queen = new FakeQueen();
    const gate = join(root, 'gate-1');
    const { drone, stopped, link } = await startDrone(queen);
    try {
      const hello: DroneHello = await welcome(link);
      assert.deepEqual(hello, {
        type: 'drone:hello', version: PROTOCOL_VERSION, name: 'test-drone', capacity: 1, speed: 2,
        labels: ['linux'], plugins: ['node'], running: [],
      });
      assert.equal(link.request.headers.authorization, `Bearer ${TOKEN}`);

      // A malformed frame is ignored, the link stays up.
      link.socket.send('{"type":"job:assign","lease":42}');
      link.socket.send('not json');

      const job = spec([`echo one; while [ ! -e ${gate} ]; do sleep 0.01; done; echo two`], { requires: { labels: ['linux'], plugins: [] } });
      link.send({ type: 'job:assign', lease: 'lease-1', spec: job });
      await link.next(isType('job:started', job.jobId));
      const firstOutput = await link.next((m) => m.type === 'job:cmd:stdout' && m.jobId === job.jobId);
      await link.next(isType('job:heartbeat'));

      // The queen stored up to the first output, then the connection drops.
      const acked = (firstOutput as JobEvent).seq;
      link.send({ type: 'job:ack', jobId: job.jobId, lease: 'lease-1', seq: acked });
      const firstLinkEvents = link.events(job.jobId);
      const reconnected = queen.nextLink();
      link.socket.terminate();
      const link2 = await reconnected;

      const hello2 = await link2.next(isType('drone:hello'));
      const lastSeq = hello2.running[0]?.lastSeq;
      assert.deepEqual(hello2.running, [{ jobId: job.jobId, lease: 'lease-1', lastSeq }]);
      assert.ok(lastSeq >= acked);
      // Events produced while disconnected are held, not lost.
      await writeFile(gate, '');
      link2.send({ type: 'queen:welcome', version: PROTOCOL_VERSION, droneId: 'd1', heartbeatMs: 30, resume: [{ jobId: job.jobId, lease: 'lease-1', ackedSeq: acked, keep: true }] });
      const done = await link2.next(isType('job:done', job.jobId));
      assert.equal(done.status, 'passed');

      const replayed = link2.events(job.jobId);
      assert.deepEqual(replayed.map((e) => e.seq), Array.from({ length: replayed.length }, (_, i) => acked + 1 + i), 'replay starts right after the ack, no gap, no duplicate');
      const all = [...firstLinkEvents.filter((e) => e.seq <= acked), ...replayed];
      assert.deepEqual(all.map((e) => e.seq), Array.from({ length: done.seq }, (_, i) => i + 1));
      const stdout = all.flatMap((e) => (e.type === 'job:cmd:stdout' ? [e.data] : [])).join('');
      assert.equal(stdout, 'one\ntwo\n');
      // Started once, as the acceptance: the first message about the job (sent before the
      // runner's set-up), with no job:accepted for a new assignment.
      assert.deepEqual(all.filter((e) => e.type === 'job:started').map((e) => e.seq), [1]);
      const firstLinkTypes = link.messages.filter((m) => 'jobId' in m && m.jobId === job.jobId).map((m) => m.type);
      assert.equal(firstLinkTypes[0], 'job:started');
      assert.ok(!firstLinkTypes.includes('job:accepted'));

      // Query-info returns what is still held; the ack of job:done frees it all.
      link2.send({ type: 'job:query-info', jobId: job.jobId });
      const info = await link2.next(isType('job:info', job.jobId));
      assert.deepEqual(info.events.map((e) => e.seq), replayed.map((e) => e.seq));
      const closed = new Promise((resolve) => drone.outbox.once('closed', resolve));
      link2.send({ type: 'job:ack', jobId: job.jobId, lease: 'lease-1', seq: done.seq });
      await closed;
      assert.equal(drone.outbox.size, 0);

      // Drain: the idle drone closes its connection and stops.
      link2.send({ type: 'drone:drain' });
      await stopped;
      await link2.closed;
    } finally {
      await drone.stop();
      await queen.close();
    }
  });

  it('rejects over capacity and without required labels, and cancels on job:cancel', async () => {
    const queen = new FakeQueen();
    const { drone, link } = await startDrone(queen);
    try {
      await welcome(link);
      link.autoAck();
      const long = spec(['echo started; sleep 100']);
      link.send({ type: 'job:assign', lease: 'l-long', spec: long });
      await link.next(isType('job:started', long.jobId));

      const extra = spec(['true']);
      link.send({ type: 'job:assign', lease: 'l-extra', spec: extra });
      const rejected = await link.next(isType('job:rejected', extra.jobId));
      assert.equal(rejected.reason, 'no free slot (capacity 1)');

      // A repeated assign of the running job under its lease is accepted (idempotent), and
      // not started again.
      link.send({ type: 'job:assign', lease: 'l-long', spec: long });
      await link.next(isType('job:accepted', long.jobId));
      assert.equal(link.messages.filter(isType('job:started', long.jobId)).length, 1);

      await link.next((m) => m.type === 'job:cmd:stdout' && m.jobId === long.jobId);
      link.send({ type: 'job:cancel', jobId: long.jobId, lease: 'stale-lease' });
      link.send({ type: 'job:cancel', jobId: long.jobId, lease: 'l-long', reason: 'Cancelled by bob' });
      const done = await link.next(isType('job:done', long.jobId));
      assert.deepEqual([done.status, done.message], ['cancelled', 'Cancelled by bob']);

      const gpu = spec(['true'], { requires: { labels: ['gpu'], plugins: ['node'] } });
      await new Promise<void>((resolve) => drone.once('job:finished', () => resolve()));
      link.send({ type: 'job:assign', lease: 'l-gpu', spec: gpu });
      assert.equal((await link.next(isType('job:rejected', gpu.jobId))).reason, 'missing labels: gpu');
    } finally {
      await drone.stop();
      await queen.close();
    }
  });

  it('stops a job the queen abandons on reconnect and drops its events', async () => {
    const queen = new FakeQueen();
    const { drone, link } = await startDrone(queen);
    try {
      await welcome(link);
      const job = spec(['echo started; sleep 100']);
      link.send({ type: 'job:assign', lease: 'l1', spec: job });
      await link.next((m) => m.type === 'job:cmd:stdout' && m.jobId === job.jobId);
      const finished = new Promise<string>((resolve) => drone.once('job:finished', (_id, outcome) => resolve(outcome.status)));
      const reconnected = queen.nextLink();
      link.socket.terminate();
      const link2 = await reconnected;
      await welcome(link2, [{ jobId: job.jobId, lease: 'l1', ackedSeq: 0, keep: false }]);
      assert.equal(await finished, 'cancelled');
      assert.equal(drone.outbox.has(job.jobId), false);
      // Nothing of the abandoned job is sent on the new connection: not when asked, and not
      // in a heartbeat (a job assigned after the question is the barrier: handled in order).
      link2.send({ type: 'job:query-info', jobId: job.jobId });
      const next = spec(['sleep 100']);
      link2.send({ type: 'job:assign', lease: 'l2', spec: next });
      const heartbeat = await link2.next(isType('job:heartbeat'));
      assert.deepEqual(heartbeat.jobs, [{ jobId: next.jobId, lease: 'l2' }]);
      assert.deepEqual(link2.events(job.jobId), []);
    } finally {
      await drone.stop();
      await queen.close();
    }
  });

  it('on stop, ends running jobs errored and flushes their events', async () => {
    const queen = new FakeQueen();
    const { drone, stopped, link } = await startDrone(queen);
    await welcome(link);
    const job = spec(['echo started; sleep 100']);
    link.send({ type: 'job:assign', lease: 'l1', spec: job });
    await link.next((m) => m.type === 'job:cmd:stdout' && m.jobId === job.jobId);
    // The fake queen acknowledges everything, so the flush completes at once.
    link.autoAck();
    await drone.stop();
    await stopped;
    const done = await link.next(isType('job:done', job.jobId));
    assert.equal(done.status, 'errored');
    assert.equal(done.message, 'Drone test-drone shut down while the job was running');
    await link.closed;
    await queen.close();
  });

  it('an idle drone sends no heartbeat, and pings only a queen it has not heard from; a running job is vouched for', async () => {
    const queen = new FakeQueen();
    const { drone, link } = await startDrone(queen, {}, 20);
    try {
      await welcome(link); // heartbeats every 30 ms
      let pings = 0;
      link.socket.on('ping', () => pings++);
      // Idle and unheard: it asks. Several of its periods, and several heartbeat periods, pass.
      while (pings < 4) await once(link.socket, 'ping');
      assert.deepEqual(link.messages.filter((m) => m.type === 'job:heartbeat'), [], 'no heartbeat without a job');
      // A queen that keeps talking (here: pinging faster than the drone's period) is not pinged.
      const quiet = pings;
      const chatter = setInterval(() => link.socket.ping(), 5);
      try {
        // Waits for the drone's answers: 80 pongs span about twenty of its 20 ms periods, in
        // each of which a drone that pinged regardless would ping once.
        for (let i = 0; i < 80; i++) await once(link.socket, 'pong');
      } finally {
        clearInterval(chatter);
      }
      // A period that began in a stall of this process (which also runs the drone) may ping.
      assert.ok(pings - quiet <= 3, `pinged ${pings - quiet} times while hearing the queen`);

      const job = spec(['sleep 100']);
      link.send({ type: 'job:assign', lease: 'l1', spec: job });
      const heartbeat = await link.next(isType('job:heartbeat'));
      assert.deepEqual(heartbeat.jobs, [{ jobId: job.jobId, lease: 'l1' }]);
    } finally {
      await drone.stop();
      await queen.close();
    }
  });

  it('drops and replaces a connection whose queen stops answering pings', async () => {
    const queen = new FakeQueen({ autoPong: false });
    const { drone, link } = await startDrone(queen, {}, 20);
    try {
      await welcome(link);
      const replaced = queen.nextLink();
      await link.closed;
      await welcome(await replaced);
    } finally {
      await drone.stop();
      await queen.close();
    }
  });

  it('keeps reconnecting while the queen refuses the token', async () => {
    const queen = new FakeQueen();
    let refusals = 0;
    queen.server.on('wsClientError', () => {});
    const originalVerify = queen.server.options.verifyClient;
    queen.server.options.verifyClient = ((info: { req: IncomingMessage }) => {
      if (refusals < 2) {
        refusals++;
        return false;
      }
      return (originalVerify as (i: { req: IncomingMessage }) => boolean)(info);
    }) as typeof originalVerify;
    const { drone, link } = await startDrone(queen);
    try {
      await welcome(link);
      assert.equal(refusals, 2);
    } finally {
      await drone.stop();
      await queen.close();
    }
  });
});
