/**
 * Layout rules from DESIGN.md §2, checked by reading the source: drones import nothing of
 * the queen except the protocol; the protocol imports only Node built-ins; only config
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

it('drone/ imports nothing from server/ except server/protocol/', () => {
  const offenders: string[] = [];
  for (const file of sources('drone')) {
    for (const spec of importsOf(file)) {
      if (!spec.startsWith('.')) continue;
      const target = relative(root, resolve(dirname(file), spec));
      if (target.startsWith('server/') && !target.startsWith('server/protocol/')) offenders.push(`${relative(root, file)} → ${spec}`);
    }
  }
  assert.deepEqual(offenders, []);
});

it('server/protocol/ imports only Node built-ins and its own files', () => {
  const offenders: string[] = [];
  for (const file of sources('server/protocol')) {
    for (const spec of importsOf(file)) {
      const ok = spec.startsWith('node:') || (spec.startsWith('./') && !spec.includes('..'));
      if (!ok) offenders.push(`${relative(root, file)} → ${spec}`);
    }
  }
  assert.deepEqual(offenders, []);
});

it('only config modules read process.env', () => {
  const offenders = [...sources('server'), ...sources('drone'), ...sources('plugins')]
    .filter((f) => !/\/config\.ts$/.test(f) && /process\.env\b/.test(readFileSync(f, 'utf8').replace(/\/\/.*$|\/\*[\s\S]*?\*\//gm, '')))
    .map((f) => relative(root, f));
  // main.ts hands process.env to loadConfig; the local drone passes the environment on to its child.
  assert.deepEqual(offenders.filter((f) => !['server/main.ts', 'drone/main.ts', 'server/local-drone.ts'].includes(f)), []);
});
