#!/usr/bin/env node
// Runs the test suite with node's own runner through tsx. Node 20's `--test` cannot glob
// TypeScript files itself, so this collects them: `npm test` runs everything,
// `npm test -- test/unit` or `npm test -- test/integration/api.test.ts` runs a part.
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const collect = (path) => {
  if (statSync(path).isFile()) return path.endsWith('.test.ts') || path.endsWith('.test.tsx') ? [path] : [];
  return readdirSync(path).sort().flatMap((name) => collect(join(path, name)));
};
const targets = process.argv.slice(2);
// test/faults: the fault suite (killed processes, cut links, full disks, hanging servers).
const files = (targets.length ? targets : ['test/unit', 'test/integration', 'test/faults', 'test/e2e'])
  .map((t) => resolve(root, t))
  .flatMap((t) => { try { return collect(t); } catch { return []; } });
if (files.length === 0) {
  console.error('no test files found');
  process.exit(1);
}
// Integration tests mostly wait on I/O (git, sockets, child processes), so run a few
// files at once even on a two-core machine; every file has its own database.
const concurrency = process.env.HIVE_TEST_CONCURRENCY ?? '3';
const child = spawn(process.execPath, ['--import', 'tsx', '--test', `--test-concurrency=${concurrency}`, ...files], {
  cwd: root,
  stdio: 'inherit',
});
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
