import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { it } from 'node:test';
import { brotliCompressSync, gzipSync } from 'node:zlib';
import { encodeDataFrame, parseDroneMessage, type JobEvent, type StoredJobEvent } from '../../common/protocol/index.ts';
import { dataBytesOf } from '../../common/protocol/event-data-bytes.ts';
import { toStoredEvent } from '../../server/db/job-log.ts';
import { chunkPartOf, CorruptChunkError, decodeChunkEvents, encodeChunkEvents, encodeChunkParts } from '../../server/db/log-chunk-body.ts';

const bodyOf = encodeChunkEvents;
/** A row of a chunk stored before 2026-12-04: everything in `body`. */
const bodyRow = (body: string) => ({ body, packed: null });

const output = (seq: number, data: string): StoredJobEvent => ({ type: 'job:cmd:stdout', seq, at: 1_700_000_000_000 + seq, cmd: 0, data });

it('stores a large chunk brotli-compressed as bytes, output as raw UTF-8, and reads back the same events', async () => {
  const events: StoredJobEvent[] = [
    { type: 'job:cmd:start', seq: 1, at: 1, cmd: 0, phase: 'test', command: 'make' },
    output(2, 'ascii line\n'.repeat(400)),
    output(3, 'é ✓ 😀 \u0000 "q" \\ \r\n\u001b[31mred\u001b[0m\n'.repeat(300)),
    { type: 'job:log', seq: 4, at: 4, data: '' },
    { type: 'job:cmd:done', seq: 5, at: 5, cmd: 0, exitCode: 0, durationMs: 3 },
  ];
  const row = await bodyOf(events);
  const json = JSON.stringify(events);
  assert.equal(row.body, null);
  assert.ok(row.packed && row.packed[0] === 1 && row.packed.length < json.length / 10, `${row.packed?.length} bytes for ${json.length} characters`);
  assert.deepEqual(await decodeChunkEvents(row), events);
});

it('keeps a small chunk, and one that does not compress, as its events\' JSON', async () => {
  const small = [output(1, 'hi\n'), { type: 'job:cmd:done', seq: 2, at: 2, cmd: 0, exitCode: 1, durationMs: 1 } as StoredJobEvent];
  const row = await bodyOf(small);
  assert.equal(row.packed, null);
  assert.deepEqual(JSON.parse(row.body!), small);
  assert.deepEqual(await decodeChunkEvents(row), small);

  const random = [output(1, randomBytes(30_000).toString('base64'))];
  const kept = await bodyOf(random);
  assert.equal(kept.packed, null);
  assert.deepEqual(JSON.parse(kept.body!), random);
  assert.deepEqual(await decodeChunkEvents(kept), random);
});

it('reads rows stored before: gzip\'d JSON as base64, brotli\'d JSON or records as base64, plain JSON', async () => {
  const events = [output(1, 'before ✓\n'.repeat(500))];
  const json = JSON.stringify(events);
  assert.deepEqual(await decodeChunkEvents(bodyRow(gzipSync(json, { level: 1 }).toString('base64'))), events);
  assert.deepEqual(await decodeChunkEvents(bodyRow(`~${brotliCompressSync(json).toString('base64')}`)), events);
  assert.deepEqual(await decodeChunkEvents(bodyRow(json)), events);
  // Records as base64 text, as 2026-12-03 stored them: the packed bytes' brotli output.
  const { packed } = await bodyOf(events);
  assert.deepEqual(await decodeChunkEvents(bodyRow(`~${packed!.subarray(1).toString('base64')}`)), events);
});

it('refuses a corrupt chunk with a typed error that names it', async () => {
  const { packed } = await bodyOf([output(1, 'x'.repeat(10_000))]);
  assert.ok(packed);
  const cutShort = brotliCompressSync(Buffer.concat([Buffer.from([1, 1]), Buffer.from([200, 0, 0, 0]), Buffer.from('{"seq":1}')]));
  const corrupt = [
    { body: null, packed: Buffer.concat([packed.subarray(0, 1), packed.subarray(5)]) },
    { body: null, packed: Buffer.concat([Buffer.from([1]), cutShort]) },
    { body: null, packed: Buffer.concat([Buffer.from([7]), packed.subarray(1)]) },
    { body: null, packed: Buffer.concat([Buffer.from([1]), brotliCompressSync(Buffer.from([9, 0, 0]))]) },
    { body: null, packed: null },
    bodyRow(`~${cutShort.toString('base64')}`),
    bodyRow('not base64 gzip'),
  ];
  for (const row of corrupt) {
    await assert.rejects(decodeChunkEvents(row), (err) => err instanceof CorruptChunkError && /stored log chunk/.test(err.message), JSON.stringify(row));
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
  assert.deepEqual(onThread, onPool);
  assert.deepEqual(await decodeChunkEvents(onPool), [output(1, 'budget line\n'.repeat(30_000))]);
});

it('stores output from the bytes its frame brought, the same body its text gives, and output that is not UTF-8 from its text', async () => {
  const header = (seq: number) => JSON.stringify({ jobId: randomUUID(), lease: 'lease-1', type: 'job:cmd:stdout', seq, at: 1_700_000_000_000 + seq, cmd: 0 });
  const text = 'é ✓ 😀 \u0000 "q" \\ \r\n\u001b[31mred\u001b[0m\n'.repeat(300);
  const valid = parseDroneMessage(encodeDataFrame(header(1), text), true) as JobEvent;
  // A lone continuation byte, two bytes that start nothing, a sequence cut short.
  const notUtf8 = Buffer.concat([Buffer.from('a'), Buffer.from([0x80, 0xff, 0xfe]), Buffer.from('b'), Buffer.from([0xe2, 0x82]), Buffer.from('tail\n'.repeat(500))]);
  const invalid = parseDroneMessage(Buffer.concat([encodeDataFrame(header(2), ''), notUtf8]), true) as JobEvent;
  assert.equal(dataBytesOf(valid)?.toString('latin1'), Buffer.from(text).toString('latin1'), 'the frame\'s bytes are kept');
  assert.equal(dataBytesOf(invalid), undefined, 'bytes that are not UTF-8 are not');
  assert.equal((invalid as { data: string }).data, notUtf8.toString());

  const stored = [valid, invalid].map(toStoredEvent);
  assert.ok(dataBytesOf(stored[0]), 'the stored form carries them');
  const copies = stored.map((e) => ({ ...e }));
  assert.equal(dataBytesOf(copies[0]), undefined);
  const fromBytes = await encodeChunkEvents(stored);
  assert.deepEqual(fromBytes, await encodeChunkEvents(copies), 'the same body as from the text');
  assert.deepEqual(await decodeChunkEvents(fromBytes), copies);
});
