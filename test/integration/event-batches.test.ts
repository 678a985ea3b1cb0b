/**
 * How the queen writes a large stream of job events: in several bounded batches
 * (MAX_BATCH_BYTES each), in order, with no gap and no duplicate — also when the drone
 * sends some events twice — to the database and to live watchers alike; every ack comes
 * after the events it names are stored. Frames written as the drone writes them (jobId
 * and lease first) are stored from their own text and read back as sent.
 */
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import type { JobAssign, QueenMessage, StoredJobEvent } from '../../common/protocol/index.ts';
import { findJob } from '../../server/db/jobs.ts';
import { readJobEvents, logOf } from '../../server/db/job-log.ts';
import { MAX_BATCH_BYTES } from '../../server/jobs/event-ingest.ts';
import { createGitRepo, type GitRepo } from '../helpers/git-repo.ts';
import { startTestQueen, type TestQueen } from '../helpers/queen.ts';
import { openRawDrone } from '../helpers/raw-drone.ts';

let queen: TestQueen;
let repo: GitRepo;

before(async () => {
  queen = await startTestQueen({ HIVE_LEASE_MS: '60000' });
  repo = await createGitRepo({ files: { 'a.txt': 'a' } });
});
after(async () => {
  await queen?.stop();
  await repo?.cleanup();
});

it('writes a large stream in bounded batches, in order, once each, acking only what is stored', async () => {
  const projectId = (await queen.api('POST', '/api/projects', { name: 'batches', repoUrl: repo.url, config: { phases: { test: ['true'] } } })).body.id;
  const drone = await openRawDrone(queen.port);
  try {
    await drone.hello({ name: 'batch-drone' });
    const jobId = (await queen.api('POST', `/api/projects/${projectId}/jobs`, {})).body.id as string;
    const a = await drone.waitFor<JobAssign>((m) => m.type === 'job:assign' && m.spec.jobId === jobId, 20_000);
    drone.send({ type: 'job:accepted', jobId, lease: a.lease });

    // What live watchers get, and the batches the events were written in.
    const live: StoredJobEvent[] = [];
    const onEvents = (id: string, events: StoredJobEvent[]) => id === jobId && live.push(...events);
    queen.bus.on('job-events', onEvents);
    const lifecycle = queen.lifecycle;
    const recordEvents = lifecycle.recordEvents;
    const batchBytes: number[] = [];
    lifecycle.recordEvents = (id, lease, events) => {
      if (id === jobId) batchBytes.push(events.reduce((n, e) => n + ('data' in e ? e.data.length : 0), 0));
      return recordEvents.call(lifecycle, id, lease, events);
    };
    // Every ack is checked against the database when it arrives: nothing acked unstored.
    const ackChecks: Promise<void>[] = [];
    const seen = drone.messages.length;
    const checkAck = (m: QueenMessage) => {
      if (m.type !== 'job:ack' || m.jobId !== jobId) return;
      ackChecks.push(findJob(queen.database.db, jobId).then((job) => assert.ok(job!.lastSeq >= m.seq, `ack ${m.seq} before it was stored (${job!.lastSeq})`)));
    };

    const line = `${'y'.repeat(99)}\n`;
    const data = line.repeat(600); // 60 KB per event, 200 events: 12 MB, three batches at least
    const frame = (seq: number, body: string) => `{"jobId":"${jobId}","lease":"${a.lease}",${body},"seq":${seq},"at":${Date.now()}}`;
    drone.sendRaw(frame(1, '"type":"job:started"'));
    drone.sendRaw(frame(2, '"type":"job:cmd:start","cmd":0,"phase":"test","command":"yes"'));
    for (let seq = 3; seq < 203; seq++) {
      drone.sendRaw(frame(seq, `"type":"job:cmd:stdout","cmd":0,"data":${JSON.stringify(data)}`));
      if (seq % 50 === 0) drone.sendRaw(frame(seq - 10, `"type":"job:cmd:stdout","cmd":0,"data":${JSON.stringify(data)}`)); // a replayed one
    }
    drone.sendRaw(frame(203, '"type":"job:cmd:done","cmd":0,"exitCode":0,"durationMs":5'));
    drone.send({ type: 'job:done', jobId, lease: a.lease, seq: 204, at: Date.now(), status: 'passed' });
    const done = await queen.waitForJob(jobId, ['passed'], 60_000);
    await drone.waitFor((m) => m.type === 'job:ack' && m.jobId === jobId && m.seq === 204, 20_000);
    for (const m of drone.messages.slice(seen)) checkAck(m);
    await Promise.all(ackChecks);
    queen.bus.off('job-events', onEvents);
    lifecycle.recordEvents = recordEvents;

    assert.equal(done.lastSeq, 204);
    const stored = await readJobEvents(queen.database.db, logOf(done), 0, 64 * 1024 * 1024);
    assert.deepEqual(stored.map((e) => e.seq), Array.from({ length: 204 }, (_, i) => i + 1), 'stored: in order, no gap, no duplicate');
    assert.deepEqual(live.map((e) => e.seq), Array.from({ length: 204 }, (_, i) => i + 1), 'live: in order, no gap, no duplicate');
    const output = stored.filter((e) => e.type === 'job:cmd:stdout');
    assert.ok(output.every((e) => e.type === 'job:cmd:stdout' && e.data === data && e.cmd === 0 && !('jobId' in e) && !('lease' in e)));
    assert.ok(batchBytes.length >= Math.ceil((200 * data.length) / MAX_BATCH_BYTES), `${batchBytes.length} batches for 12 MB`);
    // A batch goes past the bound by at most the one event that crossed it.
    assert.ok(batchBytes.every((n) => n <= MAX_BATCH_BYTES + data.length), `batches of ${batchBytes.join(', ')} bytes`);
  } finally {
    drone.close();
  }
});
