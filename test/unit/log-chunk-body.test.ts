import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { it } from 'node:test';
import { brotliCompressSync, gzipSync } from 'node:zlib';
import { encodeDataFrame, parseDroneMessage, type JobEvent, type StoredJobEvent } from '../../common/protocol/index.ts';
import { toStoredEvent } from '../../server/db/job-log.ts';
import { chunkPartOf, CorruptChunkError, decodeChunkEvents, encodeChunkEvents, encodeChunkParts } from '../../server/db/log-chunk-body.ts';

const bodyOf = encodeChunkEvents;

const output = (seq: number, data: string): StoredJobEvent => ({ type: 'job:cmd:stdout', seq, at: 1_700_000_000_000 + seq, cmd: 0, data });

it('stores a large chunk brotli-compressed, output as raw UTF-8, and reads back the same events', async () => {
  const events: StoredJobEvent[] = [
    { type: 'job:cmd:start', seq: 1, at: 1, cmd: 0, phase: 'test', command: 'make' },
    output(2, 'ascii line\n'.repeat(400)),
    output(3, 'é ✓ 😀 \u0000 "q" \\ \r\n\u001b[31mred\u001b[0m\n'.repeat(300)),
    { type: 'job:log', seq: 4, at: 4, data: '' },
    { type: 'job:cmd:done', seq: 5, at: 5, cmd: 0, exitCode: 0, durationMs: 3 },
  ];
  const body = await bodyOf(events);
  const json = JSON.stringify(events);
  assert.ok(body.startsWith('~') && body.length < json.length / 10, `${body.length} characters for ${json.length}`);
  assert.deepEqual(await decodeChunkEvents(body), events);
});

it('keeps a small chunk, and one that does not compress, as its events\' JSON', async () => {
  const small = [output(1, 'hi\n'), { type: 'job:cmd:done', seq: 2, at: 2, cmd: 0, exitCode: 1, durationMs: 1 } as StoredJobEvent];
  const body = await bodyOf(small);
  assert.deepEqual(JSON.parse(body), small);
  assert.deepEqual(await decodeChunkEvents(body), small);

  const random = [output(1, randomBytes(30_000).toString('base64'))];
  const kept = await bodyOf(random);
  assert.deepEqual(JSON.parse(kept), random);
  assert.deepEqual(await decodeChunkEvents(kept), random);
});

it('reads rows stored before: gzip\'d JSON as base64, brotli\'d JSON, plain JSON', async () => {
  const events = [output(1, 'before ✓\n'.repeat(500))];
  const json = JSON.stringify(events);
  assert.deepEqual(await decodeChunkEvents(gzipSync(json, { level: 1 }).toString('base64')), events);
  assert.deepEqual(await decodeChunkEvents(`~${brotliCompressSync(json).toString('base64')}`), events);
  assert.deepEqual(await decodeChunkEvents(json), events);
});

it('refuses a corrupt body with a typed error that names it', async () => {
  const body = await bodyOf([output(1, 'x'.repeat(10_000))]);
  const records = brotliCompressSync(Buffer.concat([Buffer.from([1, 1]), Buffer.from([200, 0, 0, 0]), Buffer.from('{"seq":1}')]));
  for (const corrupt of [`~${body.slice(5)}`, `~${records.toString('base64')}`, 'not base64 gzip']) {
    await assert.rejects(decodeChunkEvents(corrupt), (err) => err instanceof CorruptChunkError && /stored log chunk/.test(err.message));
  }
});

it('compresses on the queen\'s thread while a batch\'s budget lasts, then on the thread pool, with the same result', async () => {
  const parts = [output(1, 'budget line\n'.repeat(30_000))].map((e) => chunkPartOf(e));
  const chars = parts.reduce((n, p) => n + p.chars, 1);
  const budget = { ms: 2 };
  const onThread = await encodeChunkParts(parts.map((p) => p.part), chars, budget);
  assert.ok(budget.ms < 2, 'the budget was spent on the spot');
  const spent = { ms: 0 };
  const onPool = await encodeChunkParts(parts.map((p) => p.part), chars, spent);
  assert.equal(spent.ms, 0, 'a spent budget is left alone');
  assert.equal(onThread, onPool);
  assert.deepEqual(await decodeChunkEvents(onPool), [output(1, 'budget line\n'.repeat(30_000))]);
});
