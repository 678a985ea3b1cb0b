/**
 * A job's numbered event stream: appended in batches (one statement per batch, never a
 * round trip per line) and read back page by page, so memory stays bounded whatever the
 * size of the log. Appending also applies what the events mean to the job's row and its
 * commands, in the same statement, so state and log never disagree.
 */
import { and, asc, eq, getTableColumns, gt, inArray, lte, sql } from 'drizzle-orm';
import type { JobEvent, JobStatus, StoredJobEvent } from '../../common/protocol/index.ts';
import { carryDataBytes } from '../../common/protocol/event-data-bytes.ts';
import { carryStoredJson } from '../../common/protocol/stored-event-json.ts';
import { chunkPartOf, decodeChunkEvents, encodeChunkParts, syncBudget, type ChunkBody, type ChunkPart } from './log-chunk-body.ts';
import type { Db } from './client.ts';
import { preparedQueries } from './prepared-query.ts';
import { ACTIVE_STATUSES, type Job } from './jobs.ts';
import { changesJobRow, commandCounts, commandParams, commandWrites, effectsOf, type CommandCounts, type EventEffects } from './event-effects.ts';
import { jobCommands, jobLogChunks, jobs, type LateResult } from './schema.ts';

/** An event as stored and as sent to browsers: without the drone-side jobId and lease. */
export type StoredEvent = StoredJobEvent;

/** Chunk rows are cut at about this size so no row grows large. */
const CHUNK_BODY_BYTES = 256 * 1024;

export function toStoredEvent(event: JobEvent): StoredEvent {
  const { jobId: _j, lease: _l, ...rest } = event;
  carryStoredJson(event, rest);
  carryDataBytes(event, rest);
  return rest as StoredEvent;
}

/** Events cut into chunks of about CHUNK_BODY_BYTES, each as its events' parts (log-chunk-body.ts). */
function cutIntoChunks(events: StoredEvent[]): { seqFrom: number; seqTo: number; parts: ChunkPart[]; chars: number }[] {
  const chunks: { seqFrom: number; seqTo: number; parts: ChunkPart[]; chars: number }[] = [];
  let parts: ChunkPart[] = [];
  let size = 0;
  let from = 0;
  let to = 0;
  for (const e of events) {
    const { part, chars } = chunkPartOf(e);
    if (parts.length > 0 && size + chars > CHUNK_BODY_BYTES) {
      chunks.push({ seqFrom: from, seqTo: to, parts, chars: size + 1 });
      parts = [];
      size = 0;
    }
    if (parts.length === 0) from = e.seq;
    parts.push(part);
    size += chars;
    to = e.seq;
  }
  if (parts.length > 0) chunks.push({ seqFrom: from, seqTo: to, parts, chars: size + 1 });
  return chunks;
}

/** What a stored batch left its job as: the whole row only when the batch changed it. */
export interface AppendedEvents {
  attempt: number;
  /** The job's status before these events. */
  previousStatus: JobStatus;
  /** The job's row after them, when they changed its status (started, or the job ended). */
  changed?: Job;
  /** A cancel of the job was asked for (the ingest tells the drone again: event-ingest.ts). */
  cancelRequested: boolean;
}

/**
 * Appends consecutive events (seq lastSeq+1 … ) of the job's current lease and applies
 * them. Undefined when the lease is stale, the job is no longer active, or the seqs do
 * not follow on (nothing is written then).
 */
export async function appendJobEvents(db: Db, jobId: string, lease: string, events: StoredEvent[]): Promise<AppendedEvents | undefined> {
  if (events.length === 0) return undefined;
  const chunks = await encodeChunks(events);
  const effects = effectsOf(events);
  const status = effects.done?.status ?? (effects.startedAt && 'running');
  const params: Record<string, unknown> = { jobId, lease, seqBefore: events[0].seq - 1, lastSeq: events[events.length - 1].seq };
  if (status) params.status = status;
  if (effects.startedAt) params.startedAt = effects.startedAt;
  if (effects.done) Object.assign(params, { message: effects.done.message, finishedAt: effects.done.finishedAt });
  if (effects.phases) params.phases = JSON.stringify(effects.phases);
  const shape: BatchShape = {
    late: false,
    wantRow: changesJobRow(effects),
    sets: { status: !!status, startedAt: !!effects.startedAt, done: !!effects.done, phases: !!effects.phases, lateResult: false },
    chunks: chunks.length,
    commands: commandCounts(effects),
  };
  const written = await appendBatch(db, shape, params, chunks, effects);
  return written && { attempt: written.attempt, previousStatus: written.previousStatus, changed: written.row, cancelRequested: written.cancelRequested };
}

/** Chunk rows, compressed before the statement runs, so it stays short. */
function encodeChunks(events: StoredEvent[]): Promise<(ChunkBody & { seqFrom: number; seqTo: number; bytes: number })[]> {
  const budget = syncBudget();
  return Promise.all(cutIntoChunks(events).map(async ({ seqFrom, seqTo, parts, chars }) => {
    const body = await encodeChunkParts(parts, chars, budget);
    return { seqFrom, seqTo, ...body, bytes: chars };
  }));
}

/**
 * What decides the text of a batch's statement: which of the job row's columns it sets,
 * how many chunks and command rows it writes, whose row comes back. The values are
 * parameters, so batches of one shape — a trivial job's few batches are each of a shape
 * every such job repeats — run one statement built once per database.
 */
interface BatchShape {
  /** A lost job's late events (appendLateJobEvents): another fence, the status untouched. */
  late: boolean;
  wantRow: boolean;
  sets: { status: boolean; startedAt: boolean; done: boolean; phases: boolean; lateResult: boolean };
  chunks: number;
  commands: CommandCounts;
}

const shapeKey = (shape: BatchShape): string => {
  const { sets } = shape;
  const flags = [shape.late, shape.wantRow, sets.status, sets.startedAt, sets.done, sets.phases, sets.lateResult].map((f) => (f ? 1 : 0)).join('');
  return `${flags}:${shape.chunks}:${shape.commands.started}:${shape.commands.ended}`;
};

/**
 * Shapes kept per database, and the largest kept: a rarer one (a batch of many command
 * rows) is built for its one use, as every batch was before — drizzle took ~0.3 ms of the
 * queen's thread to build a trivial job's batch, three of them a job, and ~0.8 ms for a
 * large log's batch of a dozen chunks. A batch holds at most MAX_BATCH_BYTES of output
 * (event-ingest.ts), 4 MiB: 16 chunks and the one an event's end may open are kept, for
 * such batches are a large log's every other write (14 of 39 for 50 MB of `yes`).
 */
const MAX_KEPT_SHAPES = 48;
const MAX_KEPT_ROWS = 17;
const keptBatchQuery = preparedQueries(buildBatchQuery, shapeKey, MAX_KEPT_SHAPES);

function batchQuery(db: Db, shape: BatchShape) {
  const rows = shape.chunks + shape.commands.started + shape.commands.ended;
  return rows > MAX_KEPT_ROWS ? buildBatchQuery(db, shape) : keptBatchQuery(db, shape);
}

/**
 * One statement for a whole batch (a single statement is atomic: no transaction, one
 * round trip): the fenced update of the job's row, its chunks, its commands' rows. The
 * chunks and commands are written only if the fence held. `wantRow`: the job's row after
 * the batch comes back, with its status before it; otherwise only the status (which the
 * batch did not change) and attempt, sparing the parse of the row's JSON columns. Every
 * value is a placeholder (`appendBatch` fills them).
 */
function buildBatchQuery(db: Db, shape: BatchShape) {
  const p = sql.placeholder;
  const fence = shape.late
    ? and(eq(jobs.id, p('jobId')), eq(jobs.lease, p('lease')), eq(jobs.lastSeq, p('seqBefore')), eq(jobs.status, 'errored'),
      sql`${jobs.lateResult} is null`, eq(jobs.cancelRequested, false))
    : and(eq(jobs.id, p('jobId')), eq(jobs.lease, p('lease')), eq(jobs.lastSeq, p('seqBefore')), inArray(jobs.status, ACTIVE_STATUSES));
  const sets = [sql`last_seq = ${p('lastSeq')}::int`];
  if (shape.sets.status) sets.push(sql`status = ${p('status')}`);
  if (shape.sets.startedAt) sets.push(sql`started_at = ${p('startedAt')}::timestamptz`);
  if (shape.sets.done) sets.push(sql`message = ${p('message')}::text, finished_at = ${p('finishedAt')}::timestamptz, lease_expires_at = null`);
  if (shape.sets.phases) sets.push(sql`phases = ${jobs.phases} || ${p('phases')}::jsonb`);
  if (shape.sets.lateResult) sets.push(sql`late_result = ${p('lateResult')}::jsonb`);
  const update = sql`update ${jobs} set ${sql.join(sets, sql`, `)}`;
  const fenced = shape.wantRow
    ? db.$with('fenced', { ...getTableColumns(jobs), previousStatus: sql<JobStatus>`prev_status`.as('prev_status') }).as(sql`${update}
        from (select status as prev_status from ${jobs} where id = ${p('jobId')}::uuid) as prev
        where ${fence} returning ${jobs}.*, prev.prev_status`)
    : db.$with('fenced', { status: jobs.status, attempt: jobs.attempt, cancelRequested: jobs.cancelRequested })
      .as(sql`${update} where ${fence} returning status, attempt, cancel_requested`);
  const values = sql.join(Array.from({ length: shape.chunks }, (_, i) =>
    sql`(${p(`c${i}_from`)}::int, ${p(`c${i}_to`)}::int, ${p(`c${i}_body`)}::text, ${p(`c${i}_packed`)}::bytea, ${p(`c${i}_bytes`)}::int)`), sql`, `);
  const writes = [
    sql`insert into ${jobLogChunks} (job_id, attempt, seq_from, seq_to, body, packed, bytes)
      select ${p('jobId')}::uuid, fenced.attempt, v.seq_from, v.seq_to, v.body, v.packed, v.bytes
      from fenced, (values ${values}) as v(seq_from, seq_to, body, packed, bytes)
      returning 1 as n`,
    ...commandWrites(shape.commands),
  ].map((write, i) => db.$with(`write${i}`, { n: sql<number>`n` }).as(write));
  return db.with(fenced, ...writes).select().from(fenced).prepare(`append_events_${shapeKey(shape)}`);
}

/** Runs a batch's statement with its values: those of the job row's `params`, its chunks' and its commands'. */
async function appendBatch(
  db: Db,
  shape: BatchShape,
  params: Record<string, unknown>,
  chunks: Awaited<ReturnType<typeof encodeChunks>>,
  effects: EventEffects,
): Promise<{ attempt: number; previousStatus: JobStatus; row?: Job; cancelRequested: boolean } | undefined> {
  chunks.forEach((c, i) => {
    params[`c${i}_from`] = c.seqFrom;
    params[`c${i}_to`] = c.seqTo;
    params[`c${i}_body`] = c.body;
    params[`c${i}_packed`] = c.packed;
    params[`c${i}_bytes`] = c.bytes;
  });
  commandParams(effects, params);
  const [row] = await batchQuery(db, shape).execute(params);
  if (!row) return undefined;
  if (!shape.wantRow) {
    const { status, attempt, cancelRequested } = row as { status: JobStatus; attempt: number; cancelRequested: boolean };
    return { attempt, previousStatus: status, cancelRequested };
  }
  const { previousStatus, ...job } = row as Job & { previousStatus: JobStatus };
  return { attempt: job.attempt, previousStatus, row: job, cancelRequested: job.cancelRequested };
}

/**
 * Stores events a drone sends for a job the queen already ended as lost (its lease ran out
 * while the drone was away, and the drone finished it anyway): under the same lease, after
 * the stored seq, as `appendJobEvents` does — but the job's status stays what it is (a
 * final status never changes). Commands and phases are recorded as they happened; the
 * drone's `job:done` becomes the job's `late_result`, and a line saying so (`note`, with
 * the seq after it) ends the log. Undefined when the job is not such a job (any more) or
 * the seqs do not follow on.
 */
export async function appendLateJobEvents(
  db: Db,
  jobId: string,
  lease: string,
  events: StoredEvent[],
  note: (done: Extract<StoredEvent, { type: 'job:done' }>) => string,
): Promise<{ job: Job; stored: StoredEvent[] } | undefined> {
  if (events.length === 0) return undefined;
  const done = events.find((e): e is Extract<StoredEvent, { type: 'job:done' }> => e.type === 'job:done');
  const seqTo = events[events.length - 1].seq;
  const stored: StoredEvent[] = done
    ? [...events, { type: 'job:log', seq: seqTo + 1, at: done.at, data: `${note(done)}\n` } as StoredEvent]
    : events;
  const chunks = await encodeChunks(stored);
  // The status is final: only the record of what ran changes, and the drone's end.
  const effects = effectsOf(events);
  const params: Record<string, unknown> = { jobId, lease, seqBefore: events[0].seq - 1, lastSeq: stored[stored.length - 1].seq };
  if (effects.phases) params.phases = JSON.stringify(effects.phases);
  if (effects.done) {
    const lateResult: LateResult = { status: effects.done.status, message: effects.done.message, finishedAt: effects.done.finishedAt };
    params.lateResult = JSON.stringify(lateResult);
  }
  const shape: BatchShape = {
    late: true,
    wantRow: true,
    sets: { status: false, startedAt: false, done: false, phases: !!effects.phases, lateResult: !!effects.done },
    chunks: chunks.length,
    commands: commandCounts(effects),
  };
  const written = await appendBatch(db, shape, params, chunks, effects);
  return written?.row && { job: written.row, stored };
}

/** Which attempt's log: a retried job keeps each attempt's events, numbered from 1. */
export interface LogOf {
  jobId: string;
  attempt: number;
}

/** The log of a job's current attempt (or of an earlier one). */
export const logOf = (job: Pick<Job, 'id' | 'attempt'>, attempt = job.attempt): LogOf => ({ jobId: job.id, attempt });

/** How many bytes of events (uncompressed JSON) a page of a log holds at most — plus one chunk. */
export const LOG_PAGE_BYTES = 4 * 1024 * 1024;
/** Chunks looked at per page: a log stored in many tiny batches still reads in few queries. */
const PAGE_CHUNKS = 2048;

/**
 * Stored events of one attempt with seq > afterSeq, in order: as many chunks as fit in
 * `maxBytes` (at least one). The chunks' sizes are read first (small rows), then the
 * bodies of those that fit, so a page costs the same whether its bytes were stored in
 * one batch or in a thousand.
 */
export async function readJobEvents(db: Db, of: LogOf, afterSeq: number, maxBytes = LOG_PAGE_BYTES): Promise<StoredEvent[]> {
  const ofLog = and(eq(jobLogChunks.jobId, of.jobId), eq(jobLogChunks.attempt, of.attempt));
  // Start at the chunk that holds afterSeq + 1, found through the primary key, so a page
  // deep into a long log does not scan every chunk before it.
  const first = sql`coalesce((select max(${jobLogChunks.seqFrom}) from ${jobLogChunks} where ${ofLog} and ${jobLogChunks.seqFrom} <= ${afterSeq + 1}), 0)`;
  const where = and(ofLog, sql`${jobLogChunks.seqFrom} >= ${first}`, gt(jobLogChunks.seqTo, afterSeq));
  const sizes = await db
    .select({ seqFrom: jobLogChunks.seqFrom, bytes: jobLogChunks.bytes })
    .from(jobLogChunks)
    .where(where)
    .orderBy(asc(jobLogChunks.seqFrom))
    .limit(PAGE_CHUNKS);
  if (sizes.length === 0) return [];
  let total = 0;
  let last = 0;
  for (let i = 0; i < sizes.length; i++) {
    total += sizes[i].bytes ?? CHUNK_BODY_BYTES;
    if (i > 0 && total > maxBytes) break;
    last = i;
  }
  const rows = await db
    .select({ body: jobLogChunks.body, packed: jobLogChunks.packed })
    .from(jobLogChunks)
    .where(and(where, lte(jobLogChunks.seqFrom, sizes[last].seqFrom)))
    .orderBy(asc(jobLogChunks.seqFrom));
  const events: StoredEvent[] = [];
  for (const chunk of await Promise.all(rows.map(decodeChunkEvents))) {
    for (const e of chunk) if (e.seq > afterSeq) events.push(e);
  }
  return events;
}

/** Every stored event of an attempt in order, fetched page by page so memory stays bounded. */
export async function* iterateJobEvents(db: Db, of: LogOf, afterSeq = 0): AsyncGenerator<StoredEvent[]> {
  let cursor = afterSeq;
  for (;;) {
    const page = await readJobEvents(db, of, cursor);
    if (page.length === 0) return;
    yield page;
    cursor = page[page.length - 1].seq;
  }
}

/** The commands an attempt ran, in order. */
export async function listJobCommands(db: Db, of: LogOf) {
  return db
    .select()
    .from(jobCommands)
    .where(and(eq(jobCommands.jobId, of.jobId), eq(jobCommands.attempt, of.attempt)))
    .orderBy(asc(jobCommands.idx));
}
