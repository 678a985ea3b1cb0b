import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PLAIN, applySgr, endState, renderLine, stripAnsi } from '../../web/client/ansi.ts';
import { KIND_CMD, KIND_ERR, KIND_META, LogModel, type LogEvent } from '../../web/client/log-model.ts';
import { LogTextRenderer } from '../../server/jobs/log-text.ts';

describe('ANSI rendering', () => {
  it('renders SGR colours and styles as classes, escaping the text', () => {
    assert.equal(renderLine('\x1b[31mred <b>\x1b[0m plain', PLAIN), '<span class="f-c1">red &lt;b&gt;</span> plain');
    assert.equal(renderLine('\x1b[1;92mok', PLAIN), '<span class="f-c2b a-b">ok</span>');
    assert.equal(renderLine('\x1b[38;2;255;0;16mx', PLAIN), '<span data-fg="#ff0010">x</span>');
    assert.equal(renderLine('\x1b[38;5;196mx', PLAIN), '<span data-fg="#ff0000">x</span>');
  });

  it('carries state across lines and drops other control sequences', () => {
    const after = endState('\x1b[33mstarts yellow', PLAIN);
    assert.equal(renderLine('still yellow\x1b[0m done', after), '<span class="f-c3">still yellow</span> done');
    assert.equal(renderLine('\x1b[2K\x1b]0;title\x07text\x1b[1A', PLAIN), 'text');
    assert.equal(stripAnsi('\x1b[31mred\x1b[0m'), 'red');
    assert.equal(endState('no escapes', PLAIN), PLAIN);
    assert.deepEqual(applySgr({ fg: 'c1', bold: true }, '39;22'), {});
  });

  it('shows what follows the last carriage return, as a terminal would', () => {
    assert.equal(renderLine('10%\r50%\r100%', PLAIN), '100%');
    assert.equal(renderLine('windows line\r', PLAIN), 'windows line');
  });

  it('links URLs and truncates enormous lines', () => {
    assert.match(renderLine('see https://example.com/x.', PLAIN), /<a href="https:\/\/example.com\/x" rel="noreferrer noopener" target="_blank">/);
    assert.match(renderLine('y'.repeat(50), PLAIN, 10), /^y{10}<span class="truncated"> … 40 more characters/);
  });
});

const events: LogEvent[] = [
  { seq: 1, type: 'job:started' },
  { seq: 2, type: 'job:log', data: 'Fetching\n' },
  { seq: 3, type: 'job:cmd:start', cmd: 0, command: 'make' },
  { seq: 4, type: 'job:cmd:stdout', cmd: 0, data: 'one\ntw' },
  { seq: 5, type: 'job:cmd:stdout', cmd: 0, data: 'o\n\x1b[32mgreen' },
  { seq: 6, type: 'job:cmd:stderr', cmd: 0, data: ' still\nwarn\n' },
  { seq: 7, type: 'job:cmd:done', cmd: 0, exitCode: 0, durationMs: 5 },
  { seq: 8, type: 'job:cmd:start', cmd: 1, command: 'false' },
  { seq: 9, type: 'job:cmd:stdout', cmd: 1, data: 'no newline' },
  { seq: 10, type: 'job:cmd:done', cmd: 1, exitCode: 1, durationMs: 2 },
  { seq: 11, type: 'job:done', status: 'failed', message: 'a command failed' },
];

describe('log model', () => {
  it('has the same lines as the raw log download', () => {
    const model = new LogModel();
    model.apply(events.slice(0, 5));
    model.apply(events.slice(3)); // a replay overlaps: ignored by seq
    const renderer = new LogTextRenderer();
    const raw = events.map((e) => renderer.render(e as never)).join('');
    assert.deepEqual(model.lines, raw.replace(/\n$/, '').split('\n'));
    assert.equal(model.lastSeq, 11);
    assert.equal(model.kinds.data[0], KIND_META);
    assert.equal(model.kinds.data[1], KIND_CMD);
    assert.equal(model.kinds.data[5], KIND_ERR);
    assert.deepEqual(model.commands.get(1), { line: 6, command: 'false', exitCode: 1, durationMs: 2, error: undefined });
    // The green that started on line 5 carries into line 6 … within the command only.
    assert.deepEqual(model.stateAt(5), { fg: 'c2' });
    assert.deepEqual(model.stateAt(7), {});
  });

  it('folds a command’s output out of the visible rows and back', () => {
    const model = new LogModel();
    model.apply(events);
    assert.equal(model.visibleCount, model.lineCount);
    model.setFolded(0, true);
    assert.equal(model.visibleCount, model.lineCount - 4);
    assert.equal(model.lineAt(1), 1);
    assert.equal(model.lineAt(2), 6);
    assert.equal(model.rowOf(3), -1);
    assert.equal(model.rowOf(6), 2);
    model.setFolded(0, false);
    assert.equal(model.visibleCount, model.lineCount);
  });

  // How fast is bench/ui-large-log.ts's to measure (in chromium); a timed assertion here
  // failed whenever the machine was busy.
  it('holds a million lines', () => {
    const model = new LogModel();
    const chunk = Array.from({ length: 1000 }, (_, i) => `line ${i} \x1b[32mok\x1b[0m`).join('\n') + '\n';
    model.apply([{ seq: 1, type: 'job:cmd:start', cmd: 0, command: 'x' }]);
    for (let i = 0; i < 1000; i++) model.apply([{ seq: i + 2, type: 'job:cmd:stdout', cmd: 0, data: chunk }]);
    assert.equal(model.lineCount, 1_000_001);
  });
});
