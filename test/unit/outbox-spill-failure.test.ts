/**
 * The drone's outbox when its disk cannot take spilled events (full, or not writable):
 * nothing is lost and the order stays, the events are held in memory, an error says so,
 * and spilling resumes once the disk works again.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { after, it } from 'node:test';
import { EventOutbox, SPILL_RETRY_MS, type Frame, type OutboxTransport } from '../../drone/event-outbox.ts';
import type { Logger } from '../../drone/logger.ts';
import { parseDroneMessage, type JobEvent } from '../../common/protocol/index.ts';

const root = mkdtempSync(join(os.tmpdir(), 'hive-outbox-spill-'));
after(() => rmSync(root, { recursive: true, force: true }));

it('holds events in memory while the spill directory cannot be written, in order, and spills again later', () => {
  const spillDir = join(root, 'outbox');
  let now = 1_700_000_000_000;
  const errors: string[] = [];
  const logger: Logger = {
    debug() {}, info() {}, warn() {},
    error: (...args: unknown[]) => void errors.push(String(args.find((a) => typeof a === 'string'))),
    child: () => logger,
  };
  const outbox = new EventOutbox({ spillDir, memoryLimitBytes: 300, now: () => now, logger });
  const frames: Frame[] = [];
  let connected = false;
  const transport: OutboxTransport = { canSend: () => connected, sendFrame: (f, done) => { frames.push(f); done(); } };
  outbox.attach(transport);

  const pushed: Record<string, number> = {};
  const push = (job: string, count: number) => {
    for (let i = 0; i < count; i++) {
      pushed[job] = (pushed[job] ?? 0) + 1;
      outbox.push(job, { type: 'job:log', data: `line ${pushed[job]}\n` });
    }
  };
  outbox.open('job-1', 'lease-1');
  push('job-1', 5); // past the memory limit: these spill
  assert.ok(outbox.spilledEvents > 0, 'spilled while the disk worked');

  // The disk stops taking files: the spill directory is replaced by a file. A new job's
  // events cannot spill; then the spilled job's events come back to memory too.
  rmSync(spillDir, { recursive: true, force: true });
  writeFileSync(spillDir, 'in the way');
  outbox.open('job-2', 'lease-2');
  push('job-2', 3);
  push('job-1', 3);
  assert.deepEqual(errors, ['could not spill held job events to disk; keeping them in memory until it has room'], 'said once');
  assert.equal(outbox.spilledEvents, 0, 'every held event is in memory now');

  // The disk works again, and it is time for another try: new events spill again.
  rmSync(spillDir, { force: true });
  now += SPILL_RETRY_MS;
  push('job-1', 3);
  push('job-2', 3);
  assert.ok(outbox.spilledEvents > 0);
  assert.equal(readdirSync(spillDir).length, 2);

  connected = true;
  outbox.pump();
  for (const job of ['job-1', 'job-2']) {
    const data = frames.map((f) => parseDroneMessage(f, typeof f !== 'string') as JobEvent).filter((e) => e.jobId === job)
      .map((e) => (e as Extract<JobEvent, { type: 'job:log' }>).data);
    assert.deepEqual(data, Array.from({ length: pushed[job] }, (_, i) => `line ${i + 1}\n`), `every event of ${job} once, in order`);
  }
});
