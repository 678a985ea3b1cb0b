/**
 * Test files that share a process (scripts/test-group-entry.mjs, used by run-tests.mjs
 * for the unit files) keep their top-level hooks to themselves: an `after` declared by a
 * later file — after a top-level await, while an earlier file's async `after` is still
 * running — runs after that file's own tests, not in the middle of them. Run before the
 * entry gave each file a suite of its own, such an `after` ran at once and deleted the
 * systemd test's files under it.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, it } from 'node:test';
import { groupEntryArgs } from '../../scripts/test-group-entry.mjs';

const exec = promisify(execFile);
const dir = await mkdtemp(join(tmpdir(), 'hive-group-entry-'));
after(() => rm(dir, { recursive: true, force: true }));

const FIRST = `import { after, it } from 'node:test';
after(async () => { await new Promise((r) => setTimeout(r, 300)); console.log('first: after done'); });
it('first', () => {});
`;
const SECOND = `import { after, it } from 'node:test';
await new Promise((r) => setTimeout(r, 30));
let running = false;
after(() => console.log(running ? 'second: after DURING its test' : 'second: after'));
it('second', async () => {
  running = true;
  await new Promise((r) => setTimeout(r, 500));
  running = false;
  console.log('second: test done');
});
`;

it("runs each file's top-level after hooks after that file's own tests", async () => {
  const files = [join(dir, 'first.test.mjs'), join(dir, 'second.test.mjs')];
  await writeFile(files[0], FIRST);
  await writeFile(files[1], SECOND);
  // Without NODE_TEST_CONTEXT, which a test run under `node --test` passes on: the child reports in TAP.
  const { NODE_TEST_CONTEXT: _, ...env } = process.env;
  const { stdout } = await exec(process.execPath, ['--test-reporter=tap', ...groupEntryArgs(files, dir)], { cwd: dir, env });
  const said = stdout.split('\n').filter((line) => /^(first|second): /.test(line));
  assert.deepEqual(said, ['first: after done', 'second: test done', 'second: after']);
  assert.match(stdout, /# pass 2\n/);
  assert.match(stdout, /# Subtest: first\.test\.mjs/, 'each file is a suite named by its path');
});
