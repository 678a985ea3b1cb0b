/**
 * Layout rules from DESIGN.md §2, checked by reading the source: drones import nothing of
 * the queen, only common/; common/ imports only Node built-ins and zod; core code no UI; only config
 * modules read the environment.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { it } from 'node:test';

const root = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const sources = (dir: string): string[] =>
  readdirSync(join(root, dir)).flatMap((name) => {
    const path = join(root, dir, name);
    if (statSync(path).isDirectory()) return sources(relative(root, path));
    return /\.(ts|tsx)$/.test(name) ? [path] : [];
  });
const importsOf = (file: string) =>
  [...readFileSync(file, 'utf8').matchAll(/(?:^|\s)(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g)]
    .map((m) => m[1] ?? m[2]);

/** The top-level folders a file imports through relative paths, as `file → spec` lines. */
const importsInto = (dir: string, forbidden: (target: string) => boolean): string[] =>
  sources(dir).flatMap((file) =>
    importsOf(file)
      .filter((spec) => spec.startsWith('.') && forbidden(relative(root, resolve(dirname(file), spec))))
      .map((spec) => `${relative(root, file)} → ${spec}`));

it('drone/ imports nothing of the queen: only common/ and its own files', () => {
  assert.deepEqual(importsInto('drone', (t) => !t.startsWith('drone/') && !t.startsWith('common/')), []);
});

it('common/ imports only Node built-ins, zod and its own files', () => {
  const offenders: string[] = [];
  for (const file of sources('common')) {
    for (const spec of importsOf(file)) {
      const inside = spec.startsWith('.') && relative(root, resolve(dirname(file), spec)).startsWith('common/');
      if (!(spec.startsWith('node:') || spec === 'zod' || inside)) offenders.push(`${relative(root, file)} → ${spec}`);
    }
  }
  assert.deepEqual(offenders, []);
});

it('core code (server/, plugins/) imports no UI module', () => {
  assert.deepEqual([...importsInto('server', (t) => t.startsWith('web/')), ...importsInto('plugins', (t) => t.startsWith('web/'))]
    // The UI routes render the pages: they are the one place server meets web.
    .filter((line) => !/^server\/routes\/ui[-.]/.test(line)), []);
});

it('the browser code imports nothing of the queen', () => {
  assert.deepEqual(importsInto('web/client', (t) => !t.startsWith('web/') && !t.startsWith('common/')), []);
});

it('job state changes go through the lifecycle: only it calls the queries that change a job\'s status', () => {
  const changing = ['insertJob', 'setJobSpec', 'claimJob', 'requeueJob', 'finishJob', 'requestCancel', 'appendJobEvents', 'appendLateJobEvents',
    // runs.ts: a run made with its jobs, a queued job turned into a matrix run with its siblings.
    'insertRunWithJobs', 'expandJobIntoRun'];
  const offenders = sources('server')
    .filter((f) => !f.endsWith('/server/jobs/job-lifecycle.ts') && !/\/server\/db\//.test(f))
    .flatMap((f) => {
      const text = readFileSync(f, 'utf8');
      return changing.filter((name) => new RegExp(`(?<![.\\w])${name}\\s*\\(`).test(text)).map((name) => `${relative(root, f)} calls ${name}`);
    });
  assert.deepEqual(offenders, []);
});

it('only config modules read process.env', () => {
  const offenders = [...sources('common'), ...sources('server'), ...sources('drone'), ...sources('plugins')]
    .filter((f) => !/\/config\.ts$/.test(f) && /process\.env\b/.test(readFileSync(f, 'utf8').replace(/\/\/.*$|\/\*[\s\S]*?\*\//gm, '')))
    .map((f) => relative(root, f));
  // main.ts hands process.env to loadConfig; the local drone passes the environment on to its child.
  assert.deepEqual(offenders.filter((f) => !['server/main.ts', 'drone/main.ts', 'server/local-drone.ts'].includes(f)), []);
});
