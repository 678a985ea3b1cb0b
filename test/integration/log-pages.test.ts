/**
 * Reading a log page by page: pages hold a bounded number of bytes however the log was
 * batched, follow on from any seq (also one inside a stored chunk), and lose or repeat
 * nothing — over a log of one-line batches and large ones mixed.
 */
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import type { JobAssign } from '../../common/protocol/index.ts';
import { appendJobEvents, iterateJobEvents, readJobEvents, type StoredEvent } from '../../server/db/job-log.ts';
import { createGitRepo, type GitRepo } from '../helpers/git-repo.ts';
import { startTestQueen, type TestQueen } from '../helpers/queen.ts';
import { openRawDrone, type RawDrone } from '../helpers/raw-drone.ts';

let queen: TestQueen;
let repo: GitRepo;
let drone: RawDrone;
let jobId: string;
const LINES = 1500;

before(async () => {
  queen = await startTestQueen({ HIVE_LEASE_MS: '600000' });
  repo = await createGitRepo({ files: { '.hive.yml': 'phases:\n  test: "true"\n' } });
  const project = (await queen.api('POST', '/api/projects', { name: 'pages', repoUrl: repo.url })).body;
  drone = await openRawDrone(queen.port);
  await drone.hello({ name: 'pager', capacity: 1 });
  jobId = (await queen.api('POST', `/api/projects/${project.id}/jobs`, {})).body.id;
  const { lease } = await drone.waitFor<JobAssign>((m) => m.type === 'job:assign' && m.spec.jobId === jobId);
  const at = Date.now();
  const events = [{ type: 'job:started', seq: 1, at }] as StoredEvent[];
  for (let i = 0; i < LINES; i++) {
    // Every tenth line is 20 KiB (compressed chunks); the rest are one-liners.
    events.push({ type: 'job:cmd:stdout', seq: i + 2, at, cmd: 0, data: `${i} ${i % 10 === 0 ? 'y'.repeat(20_000) : 'x'}\n` } as StoredEvent);
  }
  // Batches of 1, 2, 3 … events: many tiny chunks beside large ones.
  for (let i = 0, size = 1; i < events.length; i += size, size = (size % 7) + 1) {
    assert.ok(await appendJobEvents(queen.database.db, jobId, lease, events.slice(i, i + size)));
  }
});
after(async () => {
  drone?.close();
  await queen?.stop();
  await repo?.cleanup();
});

it('reads every event once, in order, page by page', async () => {
  const seqs: number[] = [];
  let pages = 0;
  for await (const page of iterateJobEvents(queen.database.db, { jobId, attempt: 1 })) {
    pages++;
    seqs.push(...page.map((e) => e.seq));
  }
  assert.deepEqual(seqs, Array.from({ length: LINES + 1 }, (_, i) => i + 1));
  assert.ok(pages <= 3, `a ~3 MiB log stored in hundreds of batches reads in few pages (${pages})`);
});

it('keeps pages within their byte budget (plus one chunk) and follows on from inside a chunk', async () => {
  const of = { jobId, attempt: 1 };
  const budget = 64 * 1024;
  let cursor = 0;
  let pages = 0;
  for (;;) {
    const page = await readJobEvents(queen.database.db, of, cursor, budget);
    if (page.length === 0) break;
    pages++;
    const bytes = page.reduce((n, e) => n + JSON.stringify(e).length, 0);
    assert.ok(bytes <= budget + 7 * 21_000, `page of ${bytes} bytes`);
    assert.equal(page[0].seq, cursor + 1, 'no gap');
    cursor = page[page.length - 1].seq;
  }
  assert.equal(cursor, LINES + 1);
  assert.ok(pages > 10, 'a small budget makes many pages');
  // From the middle of a chunk of several events: the next event, not the chunk's first.
  const mid = await readJobEvents(queen.database.db, of, 5, budget);
  assert.equal(mid[0].seq, 6);
});
