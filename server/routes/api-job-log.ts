/**
 * `GET /api/jobs/:id/log`: a job's log as plain text (gzip'd for clients that take it),
 * up to what was stored when the request arrived. Readers of one log share its rendered
 * text (log-text-cache.ts) and the job row (row-reads.ts); a log that fits in one write
 * goes out as one body with its length, a longer one is streamed in writes of at least
 * WRITE_BYTES.
 */
import { Hono, type MiddlewareHandler } from 'hono';
import { stream } from 'hono/streaming';
import type { ChangeFeed } from '../db/change-feed.ts';
import type { Db } from '../db/client.ts';
import { logOf } from '../db/job-log.ts';
import { findJobLogState, type JobLogState } from '../db/jobs.ts';
import { rowReads } from '../db/row-reads.ts';
import type { SharedReads } from '../util/fresh-reads.ts';
import { GoneError, NotFoundError } from '../errors.ts';
import { isFinal } from '../jobs/job-transitions.ts';
import { LogTextCache } from '../jobs/log-text-cache.ts';
import type { Logger } from '../logger.ts';
import { coalescedChunks } from '../util/coalesced-chunks.ts';
import { acceptsGzip } from './accepts-gzip.ts';
import type { AuthVariables } from './auth-middleware.ts';
import { logAttempt } from './log-attempt.ts';
import { answerOnNode, nodeResponseOf } from './node-answer.ts';
import { uuid } from './api-schemas.ts';
import { idParam } from './request-input.ts';

/** Writes are joined up to this size (a gzip'd log of a few MiB is one write). */
const WRITE_BYTES = 256 * 1024;

/**
 * The job rows log readers share, never older than their request, so each still reads
 * up to the `lastSeq` stored when it asked (row-reads.ts). Only an ended job's row is
 * kept: the database announces changes of those alone (migration 0021), and a running
 * job's row changes with every batch of its output, so readers who arrive together share
 * its read and the next ones read it again.
 */
export class JobLogRows {
  readonly #rows: SharedReads<JobLogState | undefined>;

  constructor(private readonly db: Db, changes?: ChangeFeed) {
    this.#rows = rowReads<JobLogState | undefined>(changes, 'job', { keeps: (row) => row !== undefined && isFinal(row.status) });
  }

  read(id: string): Promise<JobLogState | undefined> {
    return this.#rows.read(id, () => findJobLogState(this.db, id));
  }

  /**
   * Starts reading the row of a log request that carries a credential before the API
   * checks it, to be taken by the route once it is allowed (never answered otherwise). On
   * PostgreSQL the credential and the row are each a round trip, and fifty readers at once
   * waited for one after the other (~4–6 ms p50 each, bench/log-reads.ts); on the embedded
   * database both are kept in memory. A request without any credential reads nothing.
   */
  prefetch(): MiddlewareHandler<{ Variables: PrefetchVariables }> {
    return async (c, next) => {
      const id = c.req.param('id') ?? '';
      const credential = c.req.header('authorization') !== undefined || c.req.header('cookie') !== undefined;
      if (c.req.method === 'GET' && credential && uuid.safeParse(id).success) {
        const row = this.read(id);
        row.catch(() => {}); // a refused request never looks at it; the route awaits it (and its error) itself
        c.set('jobLogRow', { id, row });
      }
      await next();
    };
  }
}

/** Where the prefetched row waits in the request's context (for the route with the same id). */
type PrefetchVariables = { jobLogRow?: { id: string; row: Promise<JobLogState | undefined> } };

export function jobLogRoutes(deps: { db: Db; changes?: ChangeFeed; logTexts?: LogTextCache; log?: Logger; logRows?: JobLogRows }) {
  const { db } = deps;
  const logTexts = deps.logTexts ?? new LogTextCache(db);
  const logRows = deps.logRows ?? new JobLogRows(db, deps.changes);
  const routes = new Hono<{ Variables: AuthVariables & PrefetchVariables }>();

  routes.get('/jobs/:id/log', async (c) => {
    const id = idParam(c, 'Job');
    const prefetched = c.get('jobLogRow');
    const job = await (prefetched?.id === id ? prefetched.row : logRows.read(id));
    if (!job) throw new NotFoundError(`Job ${id} does not exist`);
    if (job.logPrunedAt) throw new GoneError(`The log of job ${id} was removed by retention on ${job.logPrunedAt.toISOString()}`);
    // `?attempt=N`: an earlier attempt of a retried job (each keeps its own log); default the current one.
    const attempt = logAttempt(c.req.query('attempt'), job.attempt);
    // Clients that take gzip get the shared text's compressed pieces (log-gzip.ts).
    const gzip = acceptsGzip(c.req.header('accept-encoding'));
    const headers: Record<string, string> = {
      'Content-Type': 'text/plain; charset=utf-8',
      'X-Content-Type-Options': 'nosniff',
      Vary: 'Accept-Encoding',
      ...(gzip ? { 'Content-Encoding': 'gzip' } : {}),
    };
    // The current attempt's stored log is identified by its lease: an attempt abandoned
    // before it started is stored anew under the same number (and a new lease). Without
    // a lease (never assigned) there is nothing worth sharing.
    const past = attempt < job.attempt;
    const version = past ? 'past' : job.lease ?? undefined;
    const untilSeq = past ? Infinity : job.lastSeq;
    const of = logOf(job, attempt);
    const body = gzip ? logTexts.gzipped(of, version, untilSeq) : logTexts.read(of, version, untilSeq);
    const writes = coalescedChunks(body, WRITE_BYTES)[Symbol.asyncIterator]();
    // Up to the first full write is read before answering: what fits there is one body
    // with a Content-Length (and a failure there is an error answer, not a cut log).
    const first = await writes.next();
    const second = first.done ? first : await writes.next();
    const held = [first, second].flatMap((read) => (read.done ? [] : [read.value]));
    // Many readers of one running log at once: answered on node's response (node-answer.ts).
    const out = nodeResponseOf(c);
    if (out) {
      const onFailure = (err: unknown) => deps.log?.error({ err, jobId: id }, 'log read failed after its answer began; the connection was cut');
      return answerOnNode(out, headers, held, second.done ? undefined : writes, onFailure);
    }
    for (const [name, value] of Object.entries(headers)) c.header(name, value);
    if (second.done) return c.body(held.length ? (held[0] as Uint8Array<ArrayBuffer>) : new Uint8Array(0));
    return stream(c, async (out) => {
      for (const bytes of held) await out.write(bytes);
      for (let next = await writes.next(); !next.done; next = await writes.next()) await out.write(next.value);
    });
  });
  return routes;
}
