import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { decodeChunkBody, encodeChunkBody, encodeChunkParts } from '../../server/db/job-log.ts';

it('stores chunk bodies brotli-compressed and reads them back', async () => {
  const json = JSON.stringify([{ seq: 1, type: 'job:cmd:stdout', data: 'ok ✓\n'.repeat(1000) }]);
  const body = await encodeChunkBody(json);
  assert.ok(body.startsWith('~') && body.length < json.length / 10, `${body.length} bytes for ${json.length}`);
  assert.equal(await decodeChunkBody(body), json);
});

it('reads rows written before brotli (gzip as base64) and before compression (plain UTF-8 JSON)', async () => {
  const before = JSON.stringify([{ seq: 1, type: 'job:cmd:stdout', data: 'gzip ✓\n'.repeat(500) }]);
  assert.equal(await decodeChunkBody(gzipSync(before, { level: 1 }).toString('base64')), before);
  const json = '[{"seq":1,"type":"job:log","data":"héllo"}]';
  assert.equal(await decodeChunkBody(json), json);
});

it('keeps output that does not compress as plain JSON', async () => {
  const random = randomBytes(30_000).toString('base64');
  const json = JSON.stringify([{ seq: 1, type: 'job:cmd:stdout', data: random }]);
  const body = await encodeChunkBody(json);
  assert.equal(body, json);
  assert.equal(await decodeChunkBody(body), json);
});

it('encodes a chunk from its events\' texts as from their joined array, whatever their characters', async () => {
  const texts = [
    JSON.stringify({ seq: 1, type: 'job:cmd:stdout', data: 'ascii line\n'.repeat(400) }),
    JSON.stringify({ seq: 2, type: 'job:cmd:stdout', data: 'é ✓ 😀 \u0000 "q" \\ \n'.repeat(300) }),
    // A text cut out of a longer one, as the queen keeps a frame's (stored-event-json.ts).
    `xx${JSON.stringify({ seq: 3, type: 'job:log', data: 'ü\n' })}`.slice(2),
  ];
  const joined = `[${texts.join(',')}]`;
  const { body, chars } = await encodeChunkParts(texts);
  assert.equal(chars, joined.length);
  assert.ok(body.length < joined.length / 5, 'compressed');
  assert.equal(await decodeChunkBody(body), joined);
  // Small: the array itself; not compressible: the array itself.
  const small = await encodeChunkParts(['{"seq":1}', '{"seq":2}']);
  assert.deepEqual(small, { body: '[{"seq":1},{"seq":2}]', chars: 21 });
  const random = JSON.stringify({ seq: 4, data: randomBytes(30_000).toString('base64') });
  assert.equal((await encodeChunkParts([random])).body, `[${random}]`);
});
