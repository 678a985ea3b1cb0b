import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { EventOutbox, SEND_WINDOW } from '../../drone/event-outbox.ts';
import type { Frame, OutboxTransport } from '../../drone/event-outbox.ts';
import { MAX_MESSAGE_BYTES, parseDroneMessage } from '../../common/protocol/index.ts';
import type { JobEvent, JobInfo } from '../../common/protocol/index.ts';

const root = mkdtempSync(join(os.tmpdir(), 'hive-outbox-'));
after(() => rmSync(root, { recursive: true, force: true }));
let dirs = 0;

/** A transport standing in for the socket: records frames; can be "disconnected" or "full". */
class RecordingTransport implements OutboxTransport {
  connected = true;
  frames: Frame[] = [];
  /** Frames that may be in flight before canSend() says no (backpressure), or Infinity. */
  window = Infinity;
  private inFlight: (() => void)[] = [];

  canSend() {
    return this.connected && this.inFlight.length < this.window;
  }
  sendFrame(frame: Frame, onWritten: () => void) {
    this.frames.push(frame);
    this.inFlight.push(onWritten);
    if (this.window === Infinity) this.writeAll();
  }
  /** The socket wrote everything buffered. */
  writeAll() {
    const callbacks = this.inFlight;
    this.inFlight = [];
    for (const cb of callbacks) cb();
  }
  events(): JobEvent[] {
    return this.frames.map((f) => parseDroneMessage(f, typeof f !== 'string') as JobEvent);
  }
  take(): JobEvent[] {
    const e = this.events();
    this.frames = [];
    return e;
  }
}

function setup(memoryLimitBytes?: number) {
  const spillDir = join(root, `outbox-${dirs++}`);
  const outbox = new EventOutbox({ spillDir, memoryLimitBytes, now: () => 1_700_000_000_000 });
  const transport = new RecordingTransport();
  outbox.attach(transport);
  return { outbox, transport, spillDir };
}

const log = (data: string) => ({ type: 'job:log' as const, data });
/** Resolves once pending `setImmediate` pumps have run. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('EventOutbox', () => {
  it('keeps at most SEND_WINDOW unacknowledged events in flight per job, and moves on with acks', async () => {
    const { outbox, transport } = setup();
    outbox.open('j', 'l');
    for (let i = 0; i < SEND_WINDOW + 50; i++) outbox.push('j', log(`line ${i}\n`));
    await settle();
    assert.equal(transport.frames.length, SEND_WINDOW, 'the queen is not flooded ahead of its acks');
    outbox.ack('j', 'l', 30);
    await settle();
    assert.equal(transport.frames.length, SEND_WINDOW + 30);
    outbox.ack('j', 'l', SEND_WINDOW + 30);
    await settle();
    const seqs = transport.events().map((e) => e.seq);
    assert.deepEqual(seqs, Array.from({ length: SEND_WINDOW + 50 }, (_, i) => i + 1), 'all sent once, in order');
  });

  it('numbers events per job from 1 without gaps and stamps them', () => {
    const { outbox, transport } = setup();
    outbox.open('job-a', 'lease-a');
    outbox.open('job-b', 'lease-b');
    outbox.push('job-a', { type: 'job:started' });
    outbox.push('job-b', { type: 'job:started' });
    outbox.push('job-a', log('x'));
    const events = transport.events();
    assert.deepEqual(events.map((e) => [e.jobId, e.seq]), [['job-a', 1], ['job-b', 1], ['job-a', 2]]);
    assert.deepEqual(events[0], { type: 'job:started', jobId: 'job-a', lease: 'lease-a', seq: 1, at: 1_700_000_000_000 });
  });

  it('frees events once acknowledged and closes the job after its acknowledged job:done', () => {
    const { outbox } = setup();
    const closed: string[] = [];
    outbox.on('closed', (jobId, why) => closed.push(`${jobId}:${why}`));
    outbox.open('j', 'l');
    outbox.push('j', { type: 'job:started' });
    outbox.push('j', log('a'));
    const held = outbox.memoryBytes;
    assert.ok(held > 0);
    outbox.ack('j', 'l', 1);
    assert.ok(outbox.memoryBytes < held && outbox.memoryBytes > 0);
    outbox.ack('j', 'other-lease', 2);
    assert.ok(outbox.memoryBytes > 0, 'an ack under another lease is ignored');
    outbox.push('j', { type: 'job:done', status: 'passed' });
    assert.equal(outbox.push('j', log('after done')), undefined);
    outbox.ack('j', 'l', 2);
    assert.deepEqual(closed, []);
    assert.deepEqual(outbox.runningRefs(), [{ jobId: 'j', lease: 'l', lastSeq: 3 }]);
    outbox.ack('j', 'l', 3);
    assert.deepEqual(closed, ['j:acked']);
    assert.equal(outbox.memoryBytes, 0);
    assert.equal(outbox.has('j'), false);
  });

  it('holds events while disconnected and replays the unacknowledged ones in order', () => {
    const { outbox, transport } = setup();
    outbox.open('j', 'l');
    for (let i = 1; i <= 5; i++) outbox.push('j', log(`e${i}`));
    assert.deepEqual(transport.take().map((e) => e.seq), [1, 2, 3, 4, 5]);
    outbox.ack('j', 'l', 2);
    transport.connected = false;
    for (let i = 6; i <= 8; i++) outbox.push('j', log(`e${i}`));
    assert.equal(transport.frames.length, 0);
    // Reconnect: the queen says it has stored up to 3 (more than acknowledged to us).
    transport.connected = true;
    const abandoned = outbox.applyWelcome([{ jobId: 'j', lease: 'l', ackedSeq: 3, keep: true }]);
    assert.deepEqual(abandoned, []);
    const replayed = transport.take();
    assert.deepEqual(replayed.map((e) => e.seq), [4, 5, 6, 7, 8]);
    assert.deepEqual(replayed.map((e) => (e as { data: string }).data), ['e4', 'e5', 'e6', 'e7', 'e8']);
    outbox.push('j', log('e9'));
    assert.deepEqual(transport.take().map((e) => e.seq), [9]);
  });

  it('drops jobs the queen does not resume', () => {
    const { outbox, transport } = setup();
    for (const id of ['keep', 'abandon', 'unknown', 'relet']) {
      outbox.open(id, 'l');
      outbox.push(id, { type: 'job:started' });
    }
    transport.take();
    const abandoned = outbox.applyWelcome([
      { jobId: 'keep', lease: 'l', ackedSeq: 0, keep: true },
      { jobId: 'abandon', lease: 'l', ackedSeq: 1, keep: false },
      { jobId: 'relet', lease: 'new-lease', ackedSeq: 0, keep: true },
    ]);
    assert.deepEqual(abandoned.sort(), ['abandon', 'relet', 'unknown']);
    assert.deepEqual(transport.take().map((e) => e.jobId), ['keep']);
    assert.equal(outbox.push('abandon', log('late')), undefined);
    assert.deepEqual(outbox.runningRefs().map((r) => r.jobId), ['keep']);
  });

  it('follows backpressure: sends only while the transport has room', async () => {
    const { outbox, transport } = setup();
    transport.window = 2;
    outbox.open('j', 'l');
    for (let i = 1; i <= 5; i++) outbox.push('j', log(`e${i}`));
    assert.deepEqual(transport.take().map((e) => e.seq), [1, 2]);
    transport.writeAll();
    await settle();
    assert.deepEqual(transport.take().map((e) => e.seq), [3, 4]);
    transport.writeAll();
    await settle();
    assert.deepEqual(transport.take().map((e) => e.seq), [5]);
  });

  it('spills beyond the memory limit and reads the events back in order', () => {
    const { outbox, transport, spillDir } = setup(2_000);
    outbox.open('a', 'la');
    outbox.open('b', 'lb');
    transport.connected = false;
    const payload = (job: string, i: number) => `${job}-${i}-${'x é ✓ 😀 "q" \\ \n'.repeat(8)}`;
    for (let i = 1; i <= 60; i++) {
      outbox.push('a', log(payload('a', i)));
      // b's events are JSON text frames, a's binary data frames: both spill and come back.
      outbox.push('b', { type: 'job:cmd:start', cmd: i, phase: 'test', command: payload('b', i) });
    }
    assert.ok(outbox.memoryBytes <= 2_000, `memory ${outbox.memoryBytes} over the limit`);
    assert.ok(outbox.spilledEvents > 100, `only ${outbox.spilledEvents} events spilled`);
    assert.equal(readdirSync(spillDir).length, 2, 'one spill file per job');

    transport.connected = true;
    outbox.applyWelcome([{ jobId: 'a', lease: 'la', ackedSeq: 0, keep: true }, { jobId: 'b', lease: 'lb', ackedSeq: 10, keep: true }]);
    const sent = transport.take() as (JobEvent & { data: string })[];
    const ofA = sent.filter((e) => e.jobId === 'a');
    const ofB = sent.filter((e) => e.jobId === 'b');
    assert.deepEqual(ofA.map((e) => e.seq), Array.from({ length: 60 }, (_, i) => i + 1));
    assert.deepEqual(ofA.map((e) => e.data), Array.from({ length: 60 }, (_, i) => payload('a', i + 1)));
    assert.deepEqual(ofB.map((e) => e.seq), Array.from({ length: 50 }, (_, i) => i + 11));
    assert.deepEqual(ofB.map((e) => (e as unknown as { command: string }).command), Array.from({ length: 50 }, (_, i) => payload('b', i + 11)));

    // Events pushed while a job still has spilled events go after them, in order.
    outbox.push('a', log('a-61'));
    assert.deepEqual(transport.take().map((e) => e.seq), [61]);
    outbox.ack('a', 'la', 61);
    assert.equal(readdirSync(spillDir).length, 1, 'the spill file goes once all of it is acknowledged');
    outbox.push('a', log('a-62'));
    assert.deepEqual(transport.take().map((e) => e.seq), [62]);
    outbox.dispose();
    assert.deepEqual(readdirSync(spillDir), []);
    assert.equal(outbox.memoryBytes, 0);
  });

  it('replays spilled events again after a second reconnect', () => {
    const { outbox, transport } = setup(500);
    outbox.open('j', 'l');
    for (let i = 1; i <= 20; i++) outbox.push('j', log(`event ${i} ${'y'.repeat(50)}`));
    assert.equal(transport.take().length, 20);
    outbox.ack('j', 'l', 5);
    transport.connected = false;
    transport.connected = true;
    outbox.applyWelcome([{ jobId: 'j', lease: 'l', ackedSeq: 5, keep: true }]);
    assert.deepEqual(transport.take().map((e) => e.seq), Array.from({ length: 15 }, (_, i) => i + 6));
  });

  it('answers job:info with every held event, split under the message limit', () => {
    const { outbox } = setup(64 * 1024);
    outbox.open('j', 'l');
    const big = 'z'.repeat(60_000);
    for (let i = 1; i <= 40; i++) outbox.push('j', log(big));
    outbox.ack('j', 'l', 3);
    const frames = [...outbox.infoFrames('j')];
    assert.ok(frames.length >= 3);
    const seqs: number[] = [];
    for (const frame of frames) {
      assert.ok(Buffer.byteLength(frame) <= MAX_MESSAGE_BYTES);
      const info = parseDroneMessage(frame) as JobInfo;
      assert.equal(info.type, 'job:info');
      assert.equal(info.lease, 'l');
      seqs.push(...info.events.map((e) => e.seq));
    }
    assert.deepEqual(seqs, Array.from({ length: 37 }, (_, i) => i + 4));
    assert.deepEqual([...outbox.infoFrames('unknown')], []);
  });

  it('answers job:info with no events once all are acknowledged', () => {
    const { outbox } = setup();
    outbox.open('j', 'l');
    outbox.push('j', { type: 'job:started' });
    outbox.ack('j', 'l', 1);
    const frames = [...outbox.infoFrames('j')];
    assert.equal(frames.length, 1);
    assert.deepEqual((parseDroneMessage(frames[0]) as JobInfo).events, []);
  });
});

describe('EventOutbox flow control', () => {
  function flowSetup(ackStallMs = 60_000) {
    const spillDir = join(root, `outbox-${dirs++}`);
    let now = 1_700_000_000_000;
    const outbox = new EventOutbox({ spillDir, memoryLimitBytes: 10_000, now: () => now, ackStallMs });
    const transport = new RecordingTransport();
    outbox.attach(transport);
    outbox.open('j', 'L');
    return { outbox, transport, spillDir, advance: (ms: number) => (now += ms) };
  }
  /** An event of about `bytes` bytes as a frame. */
  const sized = (bytes: number) => log('x'.repeat(bytes));

  it('is congested over half its memory only while the queen acknowledges, and drains with acks', async () => {
    const { outbox, spillDir } = flowSetup();
    for (let i = 0; i < 6; i++) outbox.push('j', sized(1_000));
    assert.equal(outbox.congested(), false, 'no acknowledgement yet: the queen may be away');
    outbox.ack('j', 'L', 1);
    assert.equal(outbox.congested(), true, 'over half of 10,000 bytes held, the queen taking them');
    let resumed = 0;
    outbox.whenDrained(() => resumed++);
    outbox.ack('j', 'L', 3);
    assert.equal(resumed, 0, 'still over a quarter');
    outbox.ack('j', 'L', 5);
    assert.equal(resumed, 1, 'under a quarter: output may flow');
    assert.equal(outbox.congested(), false);
    outbox.whenDrained(() => resumed++);
    assert.equal(resumed, 2, 'called at once when not congested');
    assert.ok(!existsSync(spillDir) || readdirSync(spillDir).length === 0, 'nothing spilled');
  });

  it('stops asking output to wait when acknowledgements stop', async () => {
    const { outbox, advance } = flowSetup(30);
    for (let i = 0; i < 6; i++) outbox.push('j', sized(1_000));
    outbox.ack('j', 'L', 1);
    assert.equal(outbox.congested(), true);
    const resumed = new Promise<void>((resolve) => outbox.whenDrained(resolve));
    advance(31);
    assert.equal(outbox.congested(), false, 'no ack for ackStallMs: the queen may be gone');
    // By its timer, without any further ack. (The outbox's timer does not keep a process
    // alive; this one keeps the test's.)
    const alive = setTimeout(() => {}, 10_000);
    await resumed;
    clearTimeout(alive);
  });

  it('holds up only the jobs that filled it: a quiet job beside a chatty one flows', async () => {
    const { outbox } = flowSetup();
    outbox.open('quiet', 'Q');
    outbox.open('idle', 'I');
    outbox.push('quiet', sized(300));
    for (let i = 0; i < 6; i++) outbox.push('j', sized(1_000));
    outbox.ack('j', 'L', 1);
    const chatty = outbox.flowOf('j');
    const quiet = outbox.flowOf('quiet');
    assert.equal(outbox.congested(), true, 'the outbox as a whole is congested');
    assert.equal(chatty.congested(), true, 'the job holding most of it waits');
    assert.equal(quiet.congested(), false, 'a job holding little of it does not');
    assert.equal(outbox.flowOf('idle').congested(), false, 'nor one holding nothing');
    assert.equal(outbox.flowOf('unknown').congested(), false);
    let quietResumed = false;
    let chattyResumed = false;
    quiet.whenDrained(() => (quietResumed = true));
    chatty.whenDrained(() => (chattyResumed = true));
    assert.equal(quietResumed, true, 'the quiet job is resumed at once');
    assert.equal(chattyResumed, false);
    outbox.ack('j', 'L', 5);
    assert.equal(chattyResumed, true, 'the chatty job once the outbox drained under a quarter');
  });

  it('resumes waiting output when its jobs are dropped', async () => {
    const { outbox } = flowSetup();
    for (let i = 0; i < 6; i++) outbox.push('j', sized(1_000));
    outbox.ack('j', 'L', 1);
    let resumed = false;
    outbox.whenDrained(() => (resumed = true));
    outbox.drop('j');
    assert.equal(resumed, true);
  });
});
