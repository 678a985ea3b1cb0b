/** The streaming multipart/form-data reader: what browsers, curl and fetch send, in any chunking. */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { PayloadTooLargeError } from '../../server/errors.ts';
import { MultipartError, MultipartReader, multipartBoundary } from '../../server/uploads/multipart-reader.ts';

/** A stream of `body` cut into pieces of `size` bytes (1: every byte apart). */
function streamOf(body: Buffer, size: number): ReadableStream<Uint8Array> {
  let at = 0;
  return new ReadableStream({
    pull(controller) {
      if (at >= body.length) return controller.close();
      controller.enqueue(new Uint8Array(body.subarray(at, at + size)));
      at += size;
    },
  });
}

interface ReadPart { name: string; filename?: string; contentType?: string; content: Buffer }

async function readAll(body: Buffer, boundary: string, chunk = 7, maxBytes = 1 << 30): Promise<ReadPart[]> {
  const reader = new MultipartReader(streamOf(body, chunk), boundary, { maxBytes, tooLarge: () => new PayloadTooLargeError('too large') });
  const parts: ReadPart[] = [];
  for (let part; (part = await reader.next()); ) {
    const chunks: Buffer[] = [];
    for (let c; (c = await reader.read()); ) chunks.push(Buffer.from(c));
    parts.push({ ...part, content: Buffer.concat(chunks) });
  }
  return parts;
}

/** A body as `fetch` makes it from a FormData (what the CLI sends). */
async function formDataBody(form: FormData): Promise<{ body: Buffer; boundary: string }> {
  const request = new Request('http://x/', { method: 'POST', body: form });
  const boundary = multipartBoundary(request.headers.get('content-type') ?? undefined)!;
  return { body: Buffer.from(await request.arrayBuffer()), boundary };
}

describe('MultipartReader', () => {
  it('reads fields and files as fetch sends them, whatever the chunk sizes', async () => {
    const binary = randomBytes(200_000);
    const form = new FormData();
    form.append('job', JSON.stringify({ branch: 'main' }));
    form.append('file', new Blob([binary]), 'data.bin');
    form.append('file', new Blob(['hello\r\n--not a boundary\r\n']), 'naïve name.txt');
    form.append('file', new Blob([]), 'empty.txt');
    const { body, boundary } = await formDataBody(form);
    for (const chunk of [1, 3, 70, 4096, body.length]) {
      const parts = await readAll(body, boundary, chunk);
      assert.deepEqual(parts.map((p) => [p.name, p.filename]), [['job', undefined], ['file', 'data.bin'], ['file', 'naïve name.txt'], ['file', 'empty.txt']], `chunk ${chunk}`);
      assert.equal(parts[0].content.toString(), '{"branch":"main"}');
      assert.ok(parts[1].content.equals(binary), `binary content intact (chunk ${chunk})`);
      assert.equal(parts[2].content.toString(), 'hello\r\n--not a boundary\r\n');
      assert.equal(parts[3].content.length, 0);
    }
  });

  it('reads what a browser and curl send: preamble, escaped quotes, literal backslashes, RFC 8187 names, padding', async () => {
    const b = 'XyZ';
    const body = Buffer.from([
      'ignored preamble',
      `--${b}  `,
      'Content-Disposition: form-data; name="a"',
      '',
      'one',
      `--${b}`,
      'content-disposition: form-data; name="f"; filename="say \\"hi\\".txt"',
      'Content-Type: text/plain',
      '',
      'x',
      `--${b}`,
      'Content-Disposition: form-data; name="w"; filename="dir\\name.txt"',
      '',
      'y',
      `--${b}`,
      "Content-Disposition: form-data; name=\"g\"; filename=\"fallback\"; filename*=UTF-8''%C3%A9t%C3%A9.txt",
      '',
      '',
      `--${b}--`,
      'epilogue',
    ].join('\r\n'));
    const parts = await readAll(body, b, 5);
    assert.deepEqual(parts.map((p) => [p.name, p.filename, p.contentType, p.content.toString()]), [
      ['a', undefined, undefined, 'one'],
      ['f', 'say "hi".txt', 'text/plain', 'x'],
      ['w', 'dir\\name.txt', undefined, 'y'],
      ['g', 'été.txt', undefined, ''],
    ]);
  });

  it('skips a part that was not read and reads a quoted boundary from the Content-Type', async () => {
    assert.equal(multipartBoundary('multipart/form-data; boundary="a b"'), 'a b');
    assert.equal(multipartBoundary('application/json'), undefined);
    assert.throws(() => multipartBoundary('multipart/form-data'), MultipartError);
    const body = Buffer.from('--a b\r\nContent-Disposition: form-data; name="x"\r\n\r\nskip me\r\n--a b\r\nContent-Disposition: form-data; name="y"\r\n\r\nkeep\r\n--a b--\r\n');
    const reader = new MultipartReader(streamOf(body, 4), 'a b', { maxBytes: 1000, tooLarge: () => new Error('x') });
    assert.equal((await reader.next())?.name, 'x');
    assert.equal((await reader.next())?.name, 'y');
    assert.equal(await reader.text(100, 'y'), 'keep');
    assert.equal(await reader.next(), undefined);
  });

  it('throws the limit error as soon as the body passes the limit, before reading the rest', async () => {
    const big = Buffer.alloc(10_000, 'x');
    const body = Buffer.concat([Buffer.from('--b\r\nContent-Disposition: form-data; name="f"; filename="x"\r\n\r\n'), big, Buffer.from('\r\n--b--\r\n')]);
    let pulled = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (pulled >= body.length) return controller.close();
        controller.enqueue(new Uint8Array(body.subarray(pulled, pulled + 1000)));
        pulled += 1000;
      },
    });
    const reader = new MultipartReader(stream, 'b', { maxBytes: 3000, tooLarge: () => new PayloadTooLargeError('too large') });
    await reader.next();
    await assert.rejects(async () => { while (await reader.read()); }, PayloadTooLargeError);
    assert.ok(pulled <= 5000, `read ${pulled} bytes of ${body.length}`);
  });

  it('refuses malformed bodies with a MultipartError saying what is wrong', async () => {
    const cases: [string, RegExp][] = [
      ['no boundary at all', /not multipart\/form-data with the boundary/],
      ['--b\r\nContent-Disposition: form-data; name="x"\r\n\r\nno end', /ended inside a part/],
      ['--b\r\nContent-Type: text/plain\r\n\r\nx\r\n--b--', /no Content-Disposition/],
      ['--b\r\nContent-Disposition: attachment; name="x"\r\n\r\nx\r\n--b--', /not form-data/],
      ['--b\r\nContent-Disposition: form-data\r\n\r\nx\r\n--b--', /no field name/],
      ['--b\r\nbroken header\r\n\r\nx\r\n--b--', /malformed header line/],
      ['--bxyz\r\n', /followed by something other than a line break/],
      ['--b\r\nContent-Disposition: form-data; name="x"', /ended inside a part's headers/],
    ];
    for (const [text, expected] of cases) {
      await assert.rejects(readAll(Buffer.from(text), 'b', 3), (err: Error) => err instanceof MultipartError && expected.test(err.message), text);
    }
  });
});
