/**
 * A real queen for a test file: its own database, a real HTTP server on a free port,
 * real WebSockets. `api()` calls the REST API with the admin token.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, type QueenConfig } from '../../server/config.ts';
import { findJob, type Job } from '../../server/db/jobs.ts';
import { silentLogger, createLogger, type Logger } from '../../server/logger.ts';
import { FINAL_STATUSES, type JobStatus } from '../../common/protocol/index.ts';
import { startQueen, type Queen } from '../../server/queen.ts';
import { nextEvent } from './events.ts';
import { createTestDatabase, type TestDatabase } from './test-db.ts';

export const ADMIN_TOKEN = 'test-admin-token-0123456789';
export const DRONE_TOKEN = 'test-drone-token-0123456789';
/** `/metrics` takes only this token (HIVE_METRICS_TOKEN), never the admin token. */
export const METRICS_TOKEN = 'test-metrics-token-0123456789';

/** Scrapes `/metrics` as Prometheus would. */
export async function scrapeMetrics(queen: { url: string }): Promise<string> {
  const res = await fetch(`${queen.url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
  if (res.status !== 200) throw new Error(`/metrics answered ${res.status}: ${await res.text()}`);
  return res.text();
}

export interface TestQueen extends Queen {
  dataDir: string;
  config: QueenConfig;
  testDb: TestDatabase;
  api(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<{ status: number; body: any; text: string; headers: Headers }>;
  /** Resolves with the job once it has one of `statuses` (default: any final status). */
  waitForJob(jobId: string, statuses?: JobStatus[], timeoutMs?: number): Promise<Job>;
  waitForDrones(count: number): Promise<void>;
  stop(): Promise<void>;
}

export interface RestartFrom {
  /** The database and data dir of an earlier queen, to start a "restarted" queen on. */
  testDb: TestDatabase;
  dataDir: string;
}

export async function startTestQueen(
  env: Record<string, string> = {},
  from?: RestartFrom,
  /**
   * `log`: a logger of the test's own, e.g. to check that no secret is ever logged.
   * `resolverPoolLimit`: the resolver's pool, smaller than the queen's 500.
   */
  options: { log?: Logger; resolverPoolLimit?: number } = {},
): Promise<TestQueen> {
  const dataDir = from?.dataDir ?? (await mkdtemp(join(tmpdir(), 'hive-queen-')));
  const config = loadConfig({
    HIVE_PORT: '0',
    HIVE_HOST: '127.0.0.1',
    HIVE_DATA_DIR: dataDir,
    HIVE_ADMIN_TOKEN: ADMIN_TOKEN,
    HIVE_DRONE_TOKEN: DRONE_TOKEN,
    HIVE_METRICS_TOKEN: METRICS_TOKEN,
    HIVE_HEARTBEAT_MS: '1000',
    ...env,
  });
  const testDb = from?.testDb ?? (await createTestDatabase());
  const log = options.log ?? (process.env.HIVE_TEST_LOG ? createLogger(process.env.HIVE_TEST_LOG) : silentLogger());
  const queen = await startQueen(config, { database: testDb, log, resolverPoolLimit: options.resolverPoolLimit });

  const api: TestQueen['api'] = async (method, path, body, headers = {}) => {
    const res = await fetch(`${queen.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${ADMIN_TOKEN}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...headers,
      },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await res.text();
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    return { status: res.status, body: parsed, text, headers: res.headers };
  };

  const waitForJob: TestQueen['waitForJob'] = (jobId, statuses = [...FINAL_STATUSES], timeoutMs = 90_000) =>
    new Promise((resolve, reject) => {
      const finish = (job?: Job, err?: Error) => {
        clearTimeout(timer);
        queen.bus.off('job-status', listener);
        if (job) resolve(job);
        else reject(err);
      };
      const listener = (job: Job) => {
        if (job.id === jobId && statuses.includes(job.status)) finish(job);
      };
      const timer = setTimeout(async () => {
        const last = await findJob(testDb.db, jobId).catch(() => undefined);
        finish(undefined, new Error(`job ${jobId} did not reach ${statuses.join('|')} within ${timeoutMs} ms (now ${last?.status}: ${last?.message})`));
      }, timeoutMs);
      queen.bus.on('job-status', listener);
      // It may have got there already, before we listened.
      findJob(testDb.db, jobId).then((job) => {
        if (job && statuses.includes(job.status)) finish(job);
      }, (err) => finish(undefined, err));
    });

  const waitForDrones: TestQueen['waitForDrones'] = async (count) => {
    while (queen.hub.all().length < count) await nextEvent(queen.hub, 'connected');
  };

  return {
    ...queen,
    dataDir,
    config,
    testDb,
    api,
    waitForJob,
    waitForDrones,
    async stop() {
      await queen.close();
      await testDb.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** Resolves once the job's stored output matches `pattern` (listening to persisted events). */
export function waitForOutput(queen: Queen, jobId: string, pattern: RegExp, timeoutMs = 60_000): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    const timer = setTimeout(() => {
      queen.bus.off('job-events', listener);
      reject(new Error(`output of ${jobId} never matched ${pattern}; got:\n${text}`));
    }, timeoutMs);
    const listener = (id: string, events: { type: string; data?: string }[]) => {
      if (id !== jobId) return;
      for (const e of events) if (e.data !== undefined) text += e.data;
      if (!pattern.test(text)) return;
      clearTimeout(timer);
      queen.bus.off('job-events', listener);
      resolve(text);
    };
    queen.bus.on('job-events', listener);
  });
}
