/**
 * A log as one gzip member joined from pieces compressed apart (server/jobs/log-gzip.ts):
 * zlib's gunzip and the real `gzip -d` give back exactly the text, whatever the mix of
 * shared pieces and a reader's own text, and pieces out of order are refused.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { it } from 'node:test';
import { crc32, gunzipSync } from 'node:zlib';
import { deflatePiece, gzipLog, LogPieceOrderError, type SharedPiece } from '../../server/jobs/log-gzip.ts';
import { acceptsGzip } from '../../server/routes/accepts-gzip.ts';

/** Shared pieces of `texts`, as the cache makes them (CRC and length up to each one's end). */
function shared(texts: string[]): SharedPiece[] {
  let crc = 0;
  let bytes = 0;
  return texts.map((t) => {
    const text = Buffer.from(t);
    crc = crc32(text, crc);
    bytes += text.length;
    const deflated = deflatePiece(text);
    return { text, crcToEnd: crc, bytesToEnd: bytes, deflated: () => deflated };
  });
}

async function gzipOf(pieces: (SharedPiece | string)[]): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const b of gzipLog((async function* () { yield* pieces; })())) parts.push(b);
  return Buffer.concat(parts);
}

function gzipBinary(data: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = spawn('gzip', ['-d', '-c'], { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let err = '';
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => (err += b));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(Buffer.concat(out)) : reject(new Error(`gzip -d exited ${code}: ${err}`))));
    child.stdin.end(data);
  });
}

const line = (i: number) => `line ${i} ${'.'.repeat(i % 70)} ✓ é 🐝\n`;
const text = (from: number, n: number) => Array.from({ length: n }, (_, i) => line(from + i)).join('');

const cases: [string, string[], string[]][] = [
  ['shared pieces only', [text(0, 500), text(500, 3), text(503, 1000)], []],
  ['shared pieces, then text of its own', [text(0, 500), text(500, 20)], [text(520, 300), text(820, 1)]],
  ['text of its own only (a past attempt, or a job never assigned)', [], [text(0, 2000), text(2000, 40)]],
  ['an empty log', [], []],
  ['empty own text between', [text(0, 10)], ['', text(10, 5), '']],
];

for (const [name, sharedTexts, own] of cases) {
  it(`gunzips to exactly the text: ${name}`, async () => {
    const expected = Buffer.from([...sharedTexts, ...own].join(''));
    const gz = await gzipOf([...shared(sharedTexts), ...own]);
    assert.ok(gunzipSync(gz).equals(expected), 'zlib');
    assert.ok((await gzipBinary(gz)).equals(expected), 'gzip -d');
    if (expected.length > 10_000) assert.ok(gz.length < expected.length / 5, `compressed to ${gz.length} of ${expected.length} bytes`);
  });
}

it('the same shared pieces joined with different tails make different, valid members', async () => {
  const pieces = shared([text(0, 200)]);
  const a = await gzipOf([...pieces, text(200, 5)]);
  const b = await gzipOf([...pieces]);
  assert.equal(gunzipSync(a).toString(), text(0, 205));
  assert.equal(gunzipSync(b).toString(), text(0, 200));
});

it('refuses shared pieces that do not follow on from the start, or come after its own text', async () => {
  const [first, second] = shared([text(0, 10), text(10, 10)]);
  await assert.rejects(gzipOf([second]), LogPieceOrderError);
  await assert.rejects(gzipOf([first, 'own\n', second]), LogPieceOrderError);
});

it('takes gzip when the client asks for it, not when it refuses it', () => {
  for (const yes of ['gzip', 'gzip, deflate, br', 'br;q=1.0, gzip;q=0.8', 'GZIP', '*', 'x-gzip', 'deflate, *;q=0.5']) assert.ok(acceptsGzip(yes), yes);
  for (const no of [undefined, '', 'identity', 'br, deflate', 'gzip;q=0', 'gzip; q=0.0', '*;q=0', 'gzip;q=0, *']) assert.ok(!acceptsGzip(no), String(no));
});
