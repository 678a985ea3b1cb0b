import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { StoredEvent } from '../../server/db/job-log.ts';
import { LogTextRenderer } from '../../server/jobs/log-text.ts';

it('renders commands, output and failures as plain text', () => {
  const r = new LogTextRenderer();
  const at = 0;
  const events: StoredEvent[] = [
    { type: 'job:log', seq: 1, at, data: 'Checked out abc\n' },
    { type: 'job:cmd:start', seq: 2, at, cmd: 0, phase: 'test', command: 'echo hi' },
    { type: 'job:cmd:stdout', seq: 3, at, cmd: 0, data: 'hi' },
    { type: 'job:cmd:done', seq: 4, at, cmd: 0, exitCode: 0, durationMs: 1 },
    { type: 'job:cmd:start', seq: 5, at, cmd: 1, phase: 'test', command: 'false' },
    { type: 'job:cmd:stderr', seq: 6, at, cmd: 1, data: 'bad\n' },
    { type: 'job:cmd:done', seq: 7, at, cmd: 1, exitCode: 1, durationMs: 1 },
    { type: 'job:done', seq: 8, at, status: 'failed' },
  ];
  assert.equal(events.map((e) => r.render(e)).join(''), 'Checked out abc\n$ echo hi\nhi\n$ false\nbad\n[exit code 1]\n');
});
