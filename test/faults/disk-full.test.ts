/**
 * Fault: a full disk, on a small filesystem the test mounts and fills (tmpfs; skipped with
 * the reason where mounting is not permitted).
 *
 * - Under the embedded database: writes of a running job's events fail; the queen says so
 *   in its log, keeps them and writes them once there is room — no event lost, the job
 *   passes with every line once, in order. (PostgreSQL's disk is its server's, not the
 *   test's to fill: skipped there.)
 * - Under a drone's data directory, while the queen is unreachable: the events the drone
 *   holds cannot spill to disk; it says so and keeps them in memory, and delivers every
 *   one when the queen is back.
 */
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { openDatabase } from '../../server/db/client.ts';
import { createLogger } from '../../server/logger.ts';
import { connectDrone, type TestDrone } from '../helpers/drone-process.ts';
import { nextEvent } from '../helpers/events.ts';
import { createGitRepo } from '../helpers/git-repo.ts';
import { assertNumberedLog, jobLog, numberedProject, triggerJob } from '../helpers/numbered-log.ts';
import { startTestQueen, waitForOutput } from '../helpers/queen.ts';
import { mountSmallFs } from '../helpers/small-fs.ts';
import { startTcpProxy } from '../helpers/tcp-proxy.ts';
import { seedEmbeddedDatabase } from '../helpers/test-db.ts';
import { cleanupsAfterTests } from '../helpers/file-cleanups.ts';

const LINES = 3000;
const onPostgres = !!process.env.TEST_DATABASE_URL;
const { cleanups, tempDir } = cleanupsAfterTests();

/** The queen's logger, its lines kept for the test: `lines`, and a 'line' event for each. */
function capturedLog() {
  const lines: string[] = [];
  const events = new EventEmitter();
  const log = createLogger('info', 'queen', { write: (line: string) => { lines.push(line); events.emit('line', line); } });
  return { log, lines, events };
}

/** Resolves once a drone process has printed a line matching `pattern`. */
function printed(drone: TestDrone, pattern: RegExp, timeoutMs = 60_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const check = () => {
      if (!pattern.test(drone.output())) return;
      clearTimeout(timer);
      drone.process.stdout!.off('data', check);
      resolve();
    };
    const timer = setTimeout(() => reject(new Error(`drone ${drone.name} never printed ${pattern}:\n${drone.output().slice(-3000)}`)), timeoutMs);
    drone.process.stdout!.on('data', check);
    check();
  });
}

describe('a full disk', { concurrency: false }, () => {
  it('under the embedded database: events are kept until there is room, none lost', async (t) => {
    if (onPostgres) return t.skip('PostgreSQL keeps its data on its server\'s disk, not the test\'s to fill (runs on PGlite)');
    const fs = await mountSmallFs(64);
    if ('skip' in fs) return t.skip(fs.skip);
    cleanups.push(() => fs.unmount());
    await seedEmbeddedDatabase(join(fs.dir, 'db'));
    const database = await openDatabase({ dataDir: join(fs.dir, 'db') });
    const captured = capturedLog();
    const queen = await startTestQueen({ HIVE_HEARTBEAT_MS: '300' }, { testDb: database, dataDir: fs.dir }, { log: captured.log });
    cleanups.push(async () => {
      await queen.close();
      await database.close();
    });
    const drone = await connectDrone(queen, { name: 'disk-full-db', capacity: 1 });
    cleanups.push(() => drone.stop());
    const repo = await createGitRepo({ files: { README: 'disk full\n' } });
    cleanups.push(() => repo.cleanup());
    const gate = join(await tempDir('hive-disk-gate-'), 'gate');
    const projectId = await numberedProject(queen.api, { name: 'full-db', repoUrl: repo.url, lines: LINES, gateAfter: 10, gate, delay: 0 });
    const jobId = await triggerJob(queen.api, projectId);
    await waitForOutput(queen, jobId, /^line 10$/m);

    const filled = Date.now();
    await fs.fill();
    const failed = nextEvent<[string]>(captured.events, 'line', (line) => /storing job events failed; retrying/.test(line), 60_000);
    await writeFile(gate, '');
    const [line] = await failed;
    assert.match(line, /No space left on device|could not extend file/i, 'the error says the disk is full');
    const said = JSON.parse(line);
    assert.doesNotMatch(line, /params:/, 'the failed query\'s parameters (the job\'s output) are not logged');
    t.diagnostic(`the queen said: ${said.msg} (${said.err?.message})`);
    await fs.free();
    t.diagnostic(`the first failed write ${Date.now() - filled} ms after the disk filled`);

    const freed = Date.now();
    const job = await queen.waitForJob(jobId, undefined, 60_000);
    t.diagnostic(`every event stored ${Date.now() - freed} ms after there was room again`);
    assert.equal(job.status, 'passed', job.message ?? '');
    assert.equal(job.attempt, 1);
    assertNumberedLog(await jobLog(queen.api, jobId), LINES);
  });

  it('under a drone\'s data directory while the queen is away: events stay in memory, none lost', async (t) => {
    const fs = await mountSmallFs(8);
    if ('skip' in fs) return t.skip(fs.skip);
    cleanups.push(() => fs.unmount());
    const queen = await startTestQueen({ HIVE_HEARTBEAT_MS: '300', HIVE_LEASE_MS: '60000' });
    cleanups.push(() => queen.stop());
    const proxy = await startTcpProxy({ port: queen.port });
    cleanups.push(() => proxy.close());
    const drone = await connectDrone(queen, {
      name: 'disk-full-drone', capacity: 1, port: proxy.port, dataDir: join(fs.dir, 'drone'),
      // A small memory budget, so the held events must go to disk.
      env: { HIVE_DRONE_OUTBOX_MEMORY_BYTES: '4096' },
    });
    cleanups.push(() => drone.stop());
    const repo = await createGitRepo({ files: { README: 'disk full\n' } });
    cleanups.push(() => repo.cleanup());
    const gate = join(await tempDir('hive-disk-gate-'), 'gate');
    const projectId = await numberedProject(queen.api, { name: 'full-drone', repoUrl: repo.url, lines: LINES, gateAfter: 10, gate, delay: 0 });
    const jobId = await triggerJob(queen.api, projectId);
    await waitForOutput(queen, jobId, /^line 10$/m);

    proxy.cut();
    await fs.fill();
    await writeFile(gate, '');
    await printed(drone, /could not spill held job events to disk/);
    await printed(drone, /"msg":"job finished"/);
    const said = drone.output().split('\n').find((l) => l.includes('could not spill held job events to disk'))!;
    assert.match(said, /No space left on device|ENOSPC/);
    t.diagnostic(`the drone said: ${JSON.parse(said).msg} (${JSON.parse(said).err?.message})`);
    proxy.restore();

    const job = await queen.waitForJob(jobId, undefined, 60_000);
    assert.equal(job.status, 'passed', job.message ?? '');
    assert.equal(job.attempt, 1);
    assertNumberedLog(await jobLog(queen.api, jobId), LINES);
  });
});
