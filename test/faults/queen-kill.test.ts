/**
 * Fault: the queen process is SIGKILLed in the middle of a build — no shutdown at all,
 * the embedded database (or its PostgreSQL connections) dropped mid-write — and started
 * again on the same data directory and port. The drone keeps building meanwhile,
 * reconnects and replays what the dead queen had not stored: the job passes as the same
 * attempt and its log holds every line once, in order. Runs on the embedded database, or
 * on PostgreSQL with TEST_DATABASE_URL.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { startDrone } from '../helpers/drone-process.ts';
import { openEventsClient } from '../helpers/events-client.ts';
import { freePort } from '../helpers/free-port.ts';
import { createGitRepo } from '../helpers/git-repo.ts';
import { assertNumberedLog, jobLog, numberedProject, triggerJob } from '../helpers/numbered-log.ts';
import { startQueenProcess, type QueenProcess } from '../helpers/queen-process.ts';
import { createTestDatabase } from '../helpers/test-db.ts';

const LINES = 40;
const cleanups: (() => Promise<unknown>)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => {});
});

/** Resolves once the job's stored output, as /api/events streams it, matches `pattern`. */
async function outputMatches(queen: QueenProcess, jobId: string, pattern: RegExp): Promise<void> {
  const client = await openEventsClient(queen.url);
  try {
    client.send({ type: 'subscribe', jobId });
    let text = '';
    await client.waitFor((m) => {
      if (m.type === 'events' && m.jobId === jobId) for (const e of m.events) text += e.data ?? '';
      return pattern.test(text);
    }, 60_000);
  } finally {
    client.close();
  }
}

describe('a queen killed mid-build', () => {
  it('is started again; the build goes on and passes as the same attempt with every line once', async (t) => {
    let last = Date.now();
    const took = (what: string) => {
      t.diagnostic(`${what}: ${Date.now() - last} ms`);
      last = Date.now();
    };
    const testDb = process.env.TEST_DATABASE_URL ? await createTestDatabase() : undefined;
    if (testDb) cleanups.push(() => testDb.close());
    const dataDir = await mkdtemp(join(tmpdir(), 'hive-queen-kill-'));
    cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
    const repo = await createGitRepo({ files: { README: 'queen kill\n' } });
    cleanups.push(() => repo.cleanup());
    const options = { dataDir, port: await freePort(), databaseUrl: testDb?.url, env: { HIVE_HEARTBEAT_MS: '300' } };

    const first = await startQueenProcess(options);
    took('the first queen serves');
    cleanups.push(() => first.kill('SIGKILL'));
    const gate = join(dataDir, 'gate');
    const projectId = await numberedProject(first.api, { name: 'survives', repoUrl: repo.url, lines: LINES, gateAfter: 10, gate, delay: 0.01 });
    const jobId = await triggerJob(first.api, projectId);
    const drone = await startDrone(undefined, { name: 'steady', port: first.port });
    cleanups.push(() => drone.stop());
    await outputMatches(first, jobId, /^line 10$/m);
    took('a drone started and the job printed its first lines');

    assert.deepEqual(await first.kill('SIGKILL'), { code: null, signal: 'SIGKILL' });
    await writeFile(gate, ''); // the rest of the build happens while no queen runs

    const second = await startQueenProcess(options);
    took('killed, and started again');
    cleanups.push(() => second.kill('SIGTERM'));
    const res = await second.api('GET', `/api/jobs/${jobId}?wait=60`);
    took('the job passed');
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.status, 'passed', res.body.message ?? '');
    assert.equal(res.body.attempt, 1, 'the same attempt, not a re-run');
    assertNumberedLog(await jobLog(second.api, jobId), LINES);
  });
});
