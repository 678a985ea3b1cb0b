/**
 * A subscriber's first view of a job is never older than a status change it was not sent
 * (server/live/live-fanout.ts, subscribeFresh): a change announced while the job's row was
 * being read for the subscription — which did not exist yet to carry it as a frame —
 * makes the row be read again. Driven directly, with the read held open while the job
 * changes, as it happened between a page's subscribe and the drone's `job:started`.
 */
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { randomUUID } from 'node:crypto';
import { after, before, it } from 'node:test';
import type { WebSocket } from 'ws';
import type { Job } from '../../server/db/jobs.ts';
import { LiveBus } from '../../server/jobs/live-bus.ts';
import { LiveClient } from '../../server/live/live-client.ts';
import { LiveFanout } from '../../server/live/live-fanout.ts';
import type { LiveJob } from '../../common/live-events.ts';
import { silentLogger } from '../../server/logger.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/test-db.ts';

let database: TestDatabase;
let bus: LiveBus;
let fanout: LiveFanout;

before(async () => {
  database = await createTestDatabase();
  bus = new LiveBus();
  fanout = new LiveFanout({ db: database.db, bus, log: silentLogger(), view: (job) => ({ id: job.id, status: job.status, attempt: job.attempt }) as unknown as LiveJob });
  fanout.start();
});
after(async () => {
  fanout?.stop();
  await database?.close();
});

/** A client over a stand-in socket that records what the queen sends it. */
function recordingClient(): { client: LiveClient; statuses: () => string[] } {
  const sent: { type: string; job?: { status: string } }[] = [];
  const ws = Object.assign(new EventEmitter(), {
    readyState: 1, OPEN: 1, extensions: '', bufferedAmount: 0,
    send: (payload: string | Buffer, _options: unknown, done?: () => void) => {
      sent.push(JSON.parse(payload.toString()));
      done?.();
    },
  });
  const client = new LiveClient(ws as unknown as WebSocket);
  fanout.addClient(client);
  return { client, statuses: () => sent.filter((m) => m.type === 'job').map((m) => m.job!.status) };
}

const jobRow = (id: string, status: string) => ({ id, projectId: randomUUID(), status, attempt: 1, lastSeq: 0 }) as unknown as Job;

it('reads the row again when the job changed status while it was read, and sends the newer one', async () => {
  const id = randomUUID();
  const { client, statuses } = recordingClient();
  let reads = 0;
  const job = await fanout.subscribeFresh(client, id, 0, async () => {
    reads++;
    if (reads === 1) {
      // The drone's job:started is stored and announced while the first read is under
      // way, and that read answers from before it.
      bus.emit('job-status', jobRow(id, 'running'));
      return jobRow(id, 'assigned');
    }
    return jobRow(id, 'running');
  });
  assert.equal(reads, 2);
  assert.equal(job?.status, 'running');
  assert.deepEqual(statuses(), ['running'], 'the first status sent is the newer one');
  // Later changes reach the subscription as frames.
  bus.emit('job-status', jobRow(id, 'passed'));
  assert.deepEqual(statuses(), ['running', 'passed']);
});

it('reads once when nothing changed, and subscribes to nothing for a job that does not exist', async () => {
  const id = randomUUID();
  const { client, statuses } = recordingClient();
  let reads = 0;
  // A change of another job during the read is not this job's.
  await fanout.subscribeFresh(client, id, 0, async () => {
    reads++;
    bus.emit('job-status', jobRow(randomUUID(), 'running'));
    return jobRow(id, 'queued');
  });
  assert.equal(reads, 1);
  assert.deepEqual(statuses(), ['queued']);
  assert.equal(fanout.subscriptionCount(client), 1);

  const { client: other } = recordingClient();
  assert.equal(await fanout.subscribeFresh(other, randomUUID(), 0, async () => undefined), undefined);
  assert.equal(fanout.subscriptionCount(other), 0);
});

it('stops reading again after a bounded number of reads: the subscription carries what comes next', async () => {
  const id = randomUUID();
  const { client, statuses } = recordingClient();
  let reads = 0;
  await fanout.subscribeFresh(client, id, 0, async () => {
    reads++;
    bus.emit('job-status', jobRow(id, 'running'));
    return jobRow(id, 'running');
  });
  assert.equal(reads, 5);
  assert.deepEqual(statuses(), ['running']);
});
