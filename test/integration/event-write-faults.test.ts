/**
 * The queen's event ingest when the database fails under it: a batch whose write failed
 * is kept and written once the database answers again, even when no later event arrives
 * to wake the stream (the job already ended) — the job must not stay `running`. Events for
 * ids that name no job are dropped without a retry loop.
 */
import assert from 'node:assert/strict';
import { EventEmitter, once } from 'node:events';
import { sql } from 'drizzle-orm';
import { after, before, describe, it } from 'node:test';
import type { JobAssign } from '../../common/protocol/index.ts';
import { findJob } from '../../server/db/jobs.ts';
import { readJobEvents } from '../../server/db/job-log.ts';
import { createLogger } from '../../server/logger.ts';
import { createGitRepo, type GitRepo } from '../helpers/git-repo.ts';
import { startTestQueen, type TestQueen } from '../helpers/queen.ts';
import { openRawDrone, type RawDrone } from '../helpers/raw-drone.ts';

let queen: TestQueen;
let repo: GitRepo;
let projectId: string;

before(async () => {
  const log = createLogger('info', 'queen', {
    write: (line: string) => { if (line.includes('storing job events failed')) logged.emit('write-failed'); },
  });
  queen = await startTestQueen({ HIVE_LEASE_MS: '60000' }, undefined, { log });
  repo = await createGitRepo({ files: { 'a.txt': 'a' } });
  projectId = (await queen.api('POST', '/api/projects', { name: 'faults', repoUrl: repo.url, config: { phases: { test: ['true'] } } })).body.id;
});
after(async () => {
  await queen?.stop();
  await repo?.cleanup();
});

/** Lines the queen logs, for `breakEventWrites` to hear its failed write. */
const logged = new EventEmitter();

/**
 * Makes the database refuse the queen's writes of job events until `restore()`: a trigger
 * on the log's table raises, so a batch's one statement (job-log.ts) fails whole — in the
 * database, whatever statement the queen built or kept. `failed` resolves when the queen
 * logs its first refused write.
 */
async function breakEventWrites() {
  const failed = once(logged, 'write-failed').then(() => {});
  // One statement per call: PGlite runs a query's text as one prepared statement.
  const run = async (...statements: string[]) => { for (const text of statements) await queen.database.db.execute(sql.raw(text)); };
  await run(
    `create function refuse_event_writes() returns trigger language plpgsql as $$
      begin raise exception 'simulated: database unreachable'; end $$`,
    'create trigger refuse_event_writes before insert on job_log_chunks for each row execute function refuse_event_writes()',
  );
  const restore = () => run('drop trigger refuse_event_writes on job_log_chunks', 'drop function refuse_event_writes()');
  return { failed, restore };
}

async function assignedJob(drone: RawDrone): Promise<JobAssign> {
  const jobId = (await queen.api('POST', `/api/projects/${projectId}/jobs`, {})).body.id;
  return drone.waitFor<JobAssign>((m) => m.type === 'job:assign' && m.spec.jobId === jobId, 20_000);
}

describe('a failed write of job events', () => {
  it('keeps the batch and stores it when the database is back, though no further event arrives', async () => {
    const drone = await openRawDrone(queen.port);
    try {
      await drone.hello({ name: 'faulty-db-drone' });
      const a = await assignedJob(drone);
      const base = (seq: number) => ({ jobId: a.spec.jobId, lease: a.lease, seq, at: Date.now() });
      drone.send({ type: 'job:accepted', jobId: a.spec.jobId, lease: a.lease });

      const outage = await breakEventWrites();
      // The whole job in one go, then silence: the drone waits for its ack.
      drone.send({ type: 'job:started', ...base(1) });
      drone.send({ type: 'job:cmd:stdout', ...base(2), cmd: 0, data: 'line during the outage\n' });
      drone.send({ type: 'job:done', ...base(3), status: 'passed' });
      await outage.failed;
      await outage.restore();

      const ack = await drone.waitFor((m) => m.type === 'job:ack' && m.jobId === a.spec.jobId && m.seq === 3, 20_000);
      assert.equal(ack.type, 'job:ack');
      const job = await findJob(queen.database.db, a.spec.jobId);
      assert.equal(job?.status, 'passed');
      const stored = await readJobEvents(queen.database.db, { jobId: a.spec.jobId, attempt: 1 }, 0);
      assert.deepEqual(stored.map((e) => e.seq), [1, 2, 3], 'every event once, in order');
    } finally {
      drone.close();
    }
  });

  it('drops events for ids that name no job with a cancel, and keeps serving real jobs', async () => {
    const drone = await openRawDrone(queen.port);
    try {
      await drone.hello({ name: 'bogus-ids-drone' });
      const bogus = ['not-a-uuid', '00000000-0000-4000-8000-000000000000'];
      for (const jobId of bogus) {
        drone.send({ type: 'job:cmd:stdout', jobId, lease: 'made-up', seq: 1, at: Date.now(), cmd: 0, data: 'x\n' });
      }
      for (const jobId of bogus) {
        const cancel = await drone.waitFor((m) => m.type === 'job:cancel' && m.jobId === jobId);
        assert.equal(cancel.type, 'job:cancel');
      }
      // The same drone still runs a real job to the end.
      const a = await assignedJob(drone);
      const base = (seq: number) => ({ jobId: a.spec.jobId, lease: a.lease, seq, at: Date.now() });
      drone.send({ type: 'job:started', ...base(1) });
      drone.send({ type: 'job:done', ...base(2), status: 'passed' });
      await drone.waitFor((m) => m.type === 'job:ack' && m.jobId === a.spec.jobId && m.seq === 2);
      assert.equal((await findJob(queen.database.db, a.spec.jobId))?.status, 'passed');
    } finally {
      drone.close();
    }
  });
});
