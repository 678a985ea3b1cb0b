import assert from 'node:assert/strict';
import { it } from 'node:test';
import { boundedStdout, type OutputStream } from '../../common/log-destination.ts';

/** A stream whose reader stopped: everything written stays queued until `drain()`. */
function stalledStream() {
  const written: string[] = [];
  let queued = 0;
  const stream: OutputStream & { written: string[]; drain(): void } = {
    written,
    get writableLength() {
      return queued;
    },
    write(chunk: string) {
      written.push(chunk);
      queued += chunk.length;
      return false;
    },
    on: () => stream,
    drain: () => {
      queued = 0;
    },
  };
  return stream;
}

it('drops lines beyond the bound instead of queueing them, and says how many once the output drains', () => {
  const stream = stalledStream();
  const log = boundedStdout({ name: 'queen', maxBufferedBytes: 20, stream });
  for (let i = 0; i < 5; i++) log.write(`line ${i} of the log\n`);
  assert.deepEqual(stream.written, ['line 0 of the log\n', 'line 1 of the log\n'], 'written until past the bound, then dropped');
  stream.drain();
  log.write('after\n');
  const note = JSON.parse(stream.written[2]);
  assert.equal(note.dropped, 3);
  assert.equal(note.name, 'queen');
  assert.equal(note.msg, 'log lines dropped: the output was not read');
  assert.equal(stream.written[3], 'after\n');
});
