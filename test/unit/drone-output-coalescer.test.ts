import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { OutputCoalescer, splitByteChunks, splitChunks } from '../../drone/output-coalescer.ts';
import type { OutputStream } from '../../drone/output-coalescer.ts';
import { MASK, SecretMasker } from '../../drone/secret-masker.ts';

/** Collects emitted chunks as the queen reads them: bytes decoded as UTF-8, each on its own. */
function collector() {
  const events: { stream: OutputStream; data: string }[] = [];
  /** As emitted: text, or the parts of a chunk of bytes. */
  const raw: (string | Buffer[])[] = [];
  let waiter: (() => void) | undefined;
  return {
    events,
    raw,
    emit: (stream: OutputStream, data: string | Buffer[]) => {
      raw.push(data);
      events.push({ stream, data: typeof data === 'string' ? data : Buffer.concat(data).toString('utf8') });
      waiter?.();
    },
    /** Resolves at the next emitted event (the flush timer firing). */
    next: () => new Promise<void>((resolve) => { waiter = resolve; }),
  };
}

describe('OutputCoalescer', () => {
  it('coalesces many small writes into one event per stream', () => {
    const c = collector();
    const out = new OutputCoalescer({ emit: c.emit });
    for (let i = 0; i < 1000; i++) out.write('stdout', Buffer.from(`line ${i}\n`));
    out.end();
    assert.equal(c.events.length, 1);
    assert.equal(c.events[0].data, Array.from({ length: 1000 }, (_, i) => `line ${i}\n`).join(''));
  });

  it('flushes on its own after the flush interval', async () => {
    const c = collector();
    const out = new OutputCoalescer({ emit: c.emit, flushMs: 5 });
    const flushed = c.next();
    out.write('stdout', Buffer.from('hello\n'));
    assert.equal(c.events.length, 0, 'buffered, not sent per write');
    await flushed;
    assert.deepEqual(c.events, [{ stream: 'stdout', data: 'hello\n' }]);
    out.end();
    assert.equal(c.events.length, 1, 'nothing left to flush');
  });

  it('sends the first output after a quiet spell at once, and what follows within the window at its end', async () => {
    const c = collector();
    const out = new OutputCoalescer({ emit: c.emit, flushMs: 60_000 });
    const first = c.next();
    out.write('stdout', Buffer.from('one\n'));
    out.write('stdout', Buffer.from('two\n'));
    await first; // the same turn's writes go together, without waiting for the window
    assert.deepEqual(c.events, [{ stream: 'stdout', data: 'one\ntwo\n' }]);
    out.write('stdout', Buffer.from('three\n'));
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(c.events.length, 1, 'output right after a flush waits for the window');
    out.end();
    assert.deepEqual(c.events.map((e) => e.data), ['one\ntwo\n', 'three\n']);
  });

  it('keeps stdout and stderr apart, each in order, the first written first', () => {
    const c = collector();
    const out = new OutputCoalescer({ emit: c.emit });
    out.write('stderr', Buffer.from('e1 '));
    out.write('stdout', Buffer.from('o1 '));
    out.write('stderr', Buffer.from('e2 '));
    out.write('stdout', Buffer.from('o2 '));
    out.end();
    assert.deepEqual(c.events, [
      { stream: 'stderr', data: 'e1 e2 ' },
      { stream: 'stdout', data: 'o1 o2 ' },
    ]);
  });

  it('flushes at the buffer limit without waiting for the timer', () => {
    const c = collector();
    const out = new OutputCoalescer({ emit: c.emit, flushMs: 60_000, maxBufferChars: 100 });
    out.write('stdout', Buffer.from('x'.repeat(60)));
    assert.equal(c.events.length, 0);
    out.write('stdout', Buffer.from('y'.repeat(60)));
    assert.equal(c.events.length, 1);
    assert.equal(c.events[0].data.length, 120);
    out.end();
  });

  it('splits output longer than the chunk limit', () => {
    const c = collector();
    const out = new OutputCoalescer({ emit: c.emit, maxChunkChars: 10 });
    out.write('stdout', Buffer.from('0123456789abcdefghij012'));
    out.end();
    assert.deepEqual(c.events.map((e) => e.data), ['0123456789', 'abcdefghij', '012']);
  });

  it('keeps UTF-8 characters whole when a read splits their bytes', () => {
    const c = collector();
    const out = new OutputCoalescer({ emit: c.emit });
    const bytes = Buffer.from('héllo wörld 🐝 ok');
    // Feed one byte at a time: every multibyte character is split.
    for (const b of bytes) out.write('stdout', Buffer.from([b]));
    out.end();
    assert.equal(c.events.map((e) => e.data).join(''), 'héllo wörld 🐝 ok');
    assert.ok(!c.events.some((e) => e.data.includes('\ufffd')));
  });

  it('emits an incomplete UTF-8 sequence at the end as a replacement character', () => {
    const c = collector();
    const out = new OutputCoalescer({ emit: c.emit });
    out.write('stdout', Buffer.from([0x61, 0xe2, 0x82]));
    out.end();
    assert.equal(c.events.map((e) => e.data).join(''), 'a\ufffd');
  });

  it('never splits a surrogate pair', () => {
    assert.deepEqual(splitChunks('ab🐝cd', 3), ['ab', '🐝c', 'd']);
    for (const chunk of splitChunks('🐝'.repeat(50), 7)) {
      assert.ok(!/[\ud800-\udbff]$/.test(chunk), 'ends with a lone high surrogate');
    }
  });

  it('masks secrets that a read splits, through the filter', () => {
    const masker = new SecretMasker(['hunter2']);
    const c = collector();
    const out = new OutputCoalescer({ emit: c.emit, createFilter: () => masker.stream() });
    out.write('stdout', Buffer.from('pw: hun'));
    out.write('stdout', Buffer.from('ter2\n'));
    out.write('stderr', Buffer.from('err hunter'));
    out.end();
    assert.equal(c.events.filter((e) => e.stream === 'stdout').map((e) => e.data).join(''), `pw: ${MASK}\n`);
    assert.equal(c.events.filter((e) => e.stream === 'stderr').map((e) => e.data).join(''), 'err hunter');
  });

  it('emits output as the bytes written when there is no filter, and as text through one', () => {
    const plain = collector();
    const out = new OutputCoalescer({ emit: plain.emit });
    const read = Buffer.from('héllo\n');
    out.write('stdout', read);
    out.end();
    assert.ok(Array.isArray(plain.raw[0]));
    assert.equal((plain.raw[0] as Buffer[])[0], read, 'the read\'s own buffer, not a copy');
    const masked = collector();
    const filtered = new OutputCoalescer({ emit: masked.emit, createFilter: () => new SecretMasker(['s3cret']).stream() });
    filtered.write('stdout', Buffer.from('héllo\n'));
    filtered.end();
    assert.equal(masked.raw[0], 'héllo\n');
  });

  it('cuts bytes only between characters, so each chunk decodes as the whole output does', () => {
    // Valid and invalid UTF-8 mixed: multibyte characters, a lone continuation byte, a
    // truncated sequence before ASCII, an overlong lead, and one unfinished at the very end.
    const valid = Buffer.from('aé€🐝z'.repeat(40));
    const input = Buffer.concat([valid, Buffer.from([0x80, 0x41, 0xe2, 0x82, 0x42, 0xc0, 0xaf]), valid, Buffer.from([0xf0, 0x9f, 0x90])]);
    let seed = 7;
    const random = (n: number) => { seed = (seed * 1103515245 + 12345) % 2 ** 31; return seed % n; };
    for (let round = 0; round < 50; round++) {
      const c = collector();
      const maxChunkChars = 4 + random(20);
      const out = new OutputCoalescer({ emit: c.emit, flushMs: 60_000, maxChunkChars, maxBufferChars: 1 + random(30) });
      for (let at = 0; at < input.length;) {
        const n = 1 + random(9);
        out.write('stdout', input.subarray(at, at + n));
        at += n;
      }
      out.end();
      assert.equal(c.events.map((e) => e.data).join(''), input.toString('utf8'), `round ${round}`);
      const chunks = (c.raw as Buffer[][]).map((parts) => Buffer.concat(parts));
      assert.deepEqual(Buffer.concat(chunks), input, 'every byte, once, in order');
      assert.ok(chunks.every((b) => b.length > 0 && b.length <= maxChunkChars), 'no chunk empty or over the limit');
    }
  });

  it('splits bytes at the chunk limit only between characters', () => {
    const text = (chunks: Buffer[][]) => chunks.map((parts) => Buffer.concat(parts).toString('utf8'));
    assert.deepEqual(text(splitByteChunks([Buffer.from('ab🐝cd€')], 4)), ['ab', '🐝', 'cd', '€']);
    const [a, b, c] = ['a€', 'b€', 'c€'].map((t) => Buffer.from(t));
    assert.deepEqual(splitByteChunks([a, b, c], 4), [[a], [b], [c]], 'pieces are cut between, not into, where they fit');
    assert.deepEqual(splitByteChunks([a, b, c], 8), [[a, b], [c]]);
    assert.deepEqual(splitByteChunks([Buffer.from([0x80, 0x80, 0x80, 0x80, 0x80, 0x80])], 4).map((parts) => Buffer.concat(parts).length), [4, 2], 'stray continuation bytes are cut where asked');
  });

  it('ignores writes after end', () => {
    const c = collector();
    const out = new OutputCoalescer({ emit: c.emit });
    out.end();
    out.write('stdout', Buffer.from('late'));
    assert.equal(c.events.length, 0);
  });
});
