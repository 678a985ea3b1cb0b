import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { validDroneMessages } from '../fixtures/protocol-messages.ts';
import { encodeDataFrame, parseDroneMessage, parseQueenMessage, ProtocolError, PROTOCOL_VERSION } from '../../common/protocol/index.ts';

const hello = { type: 'drone:hello', version: PROTOCOL_VERSION, name: 'd1', capacity: 2, speed: 1, labels: ['a'], plugins: [], running: [] };
const ev = { jobId: 'j1', lease: 'l1', seq: 1, at: 1 };

describe('protocol parser', () => {
  it('accepts every well-formed drone message', () => {
    for (const m of validDroneMessages) {
      assert.deepEqual(parseDroneMessage(JSON.stringify(m)), m, m.type);
    }
  });

  it('rejects what is not JSON, not an object, or has no known type', () => {
    for (const raw of ['{nope', '[]', '"hello"', 'null', '{}', '{"type":5}', '{"type":"job:explode"}', '{"type":"__proto__"}', '{"type":"toString"}']) {
      assert.throws(() => parseDroneMessage(raw), ProtocolError, raw);
    }
  });

  it('names the malformed field', () => {
    assert.throws(() => parseDroneMessage(JSON.stringify({ ...hello, capacity: -1 })), /capacity/);
    assert.throws(() => parseDroneMessage(JSON.stringify({ ...hello, labels: 'a,b' })), /labels: expected array/);
    assert.throws(() => parseDroneMessage(JSON.stringify({ type: 'job:cmd:stdout', ...ev, seq: 0, cmd: 0, data: '' })), /seq/);
    assert.throws(() => parseDroneMessage(JSON.stringify({ type: 'job:done', ...ev, status: 'great' })), /status/);
    assert.throws(() => parseDroneMessage(JSON.stringify({ type: 'job:phase:done', ...ev, phase: 'lint', status: 'passed', durationMs: 1 })), /phase/);
    assert.throws(() => parseDroneMessage(JSON.stringify({ type: 'job:info', jobId: 'j', lease: 'l', events: [{ type: 'drone:hello' }] })), /events\[0\]/);
  });

  it('reads an event with output from a binary data frame as from its JSON', () => {
    for (const event of [
      { type: 'job:cmd:stdout', ...ev, cmd: 0, data: 'é ✓ 😀 "q" \\ \u0000 \r\n' },
      { type: 'job:cmd:stderr', ...ev, cmd: 3, data: '' },
      { type: 'job:log', ...ev, data: 'checkout\n' },
    ]) {
      const { data, ...header } = event;
      const frame = encodeDataFrame(JSON.stringify(header), data);
      assert.deepEqual(parseDroneMessage(frame, true), event);
      assert.deepEqual(parseDroneMessage(JSON.stringify(event)), event);
    }
    assert.throws(() => parseDroneMessage(encodeDataFrame(JSON.stringify({ type: 'job:log', ...ev }), 'x'.repeat(1024 * 1024)), true), /exceeds/);
    assert.throws(() => parseDroneMessage(encodeDataFrame(JSON.stringify({ type: 'teleport', ...ev }), 'x'), true), /unknown message type "teleport"/);
  });

  it('refuses oversized frames', () => {
    assert.throws(() => parseDroneMessage(JSON.stringify({ type: 'job:log', ...ev, data: 'x'.repeat(2 * 1024 * 1024) })), /exceeds/);
  });

  it('parses queen messages, including a full job spec', () => {
    const spec = {
      jobId: 'j', projectId: 'p', projectName: 'demo', number: 1, type: 'TEST',
      checkout: { repoUrl: '/r', sha: 'abc1234' }, env: {}, secrets: {},
      phases: { environment: [], prepare: [], test: [{ run: 'true' }], deploy: [], cleanup: [] },
      timeoutMs: 1000, requires: { labels: [], plugins: [] },
    };
    assert.deepEqual(parseQueenMessage(JSON.stringify({ type: 'job:assign', lease: 'l', spec })).type, 'job:assign');
    assert.throws(() => parseQueenMessage(JSON.stringify({ type: 'job:assign', lease: 'l', spec: { ...spec, phases: {} } })), /phases/);
    // Uploaded files: names and sizes only; a drone fetches the content over HTTP.
    const withFiles = parseQueenMessage(JSON.stringify({ type: 'job:assign', lease: 'l', spec: { ...spec, files: [{ name: 'a.txt', size: 3 }] } }));
    assert.deepEqual(withFiles.type === 'job:assign' && withFiles.spec.files, [{ name: 'a.txt', size: 3 }]);
    assert.throws(() => parseQueenMessage(JSON.stringify({ type: 'job:assign', lease: 'l', spec: { ...spec, files: [{ name: 'a.txt', size: -1 }] } })), /files/);
    // The workspace setting: a mode of the two, caches as text (the drone checks them again).
    const incremental = parseQueenMessage(JSON.stringify({ type: 'job:assign', lease: 'l', spec: { ...spec, workspace: { mode: 'incremental', caches: ['node_modules'] } } }));
    assert.deepEqual(incremental.type === 'job:assign' && incremental.spec.workspace, { mode: 'incremental', caches: ['node_modules'] });
    assert.throws(() => parseQueenMessage(JSON.stringify({ type: 'job:assign', lease: 'l', spec: { ...spec, workspace: { mode: 'sometimes', caches: [] } } })), /workspace/);
    assert.throws(() => parseQueenMessage(JSON.stringify({ type: 'job:assign', lease: 'l', spec: { ...spec, workspace: { mode: 'fresh', caches: [''] } } })), /workspace/);
    assert.throws(() => parseQueenMessage(JSON.stringify(hello)), /unknown message type/);
  });
});
