import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { it } from 'node:test';
import { decodeChunkBody, encodeChunkBody } from '../../server/db/job-log.ts';

it('stores chunk bodies gzip-compressed and reads them back', async () => {
  const json = JSON.stringify([{ seq: 1, type: 'job:cmd:stdout', data: 'ok ✓\n'.repeat(1000) }]);
  const body = await encodeChunkBody(json);
  assert.ok(body.length < json.length / 10, `${body.length} bytes for ${json.length}`);
  assert.equal(await decodeChunkBody(body), json);
});

it('reads rows written before compression (plain UTF-8 JSON) as they are', async () => {
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
