/**
 * npm's `hive` (scripts/hive-launcher.sh): starts node with glibc's malloc settings
 * (scripts/malloc-settings.sh), reached through a symlink as npm links its bin, keeping
 * what the user set. The launcher and settings are the sources' own; the `hive.js` they
 * start here is a stand-in that prints the environment node got.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmod, copyFile, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const scripts = fileURLToPath(new URL('../../scripts/', import.meta.url));
let dir: string;
let bin: string;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hive-launcher-'));
  const pkg = join(dir, 'node_modules/hive-ci/dist/scripts');
  await mkdir(pkg, { recursive: true });
  await copyFile(join(scripts, 'hive-launcher.sh'), join(pkg, 'hive'));
  await chmod(join(pkg, 'hive'), 0o755); // as scripts/build.mjs leaves it
  await copyFile(join(scripts, 'malloc-settings.sh'), join(pkg, 'malloc-settings.sh'));
  // Every malloc setting it was started with, whatever its name (a new one is checked too).
  await writeFile(join(pkg, 'hive.js'), `console.log(JSON.stringify({ argv: process.argv.slice(2), env: Object.fromEntries(
    Object.entries(process.env).filter(([name]) => /^(MALLOC_|GLIBC_TUNABLES$)/.test(name)).sort(([a], [b]) => a.localeCompare(b)),
  ) }));\n`);
  await mkdir(join(dir, 'node_modules/.bin'));
  bin = join(dir, 'node_modules/.bin/hive');
  await symlink('../hive-ci/dist/scripts/hive', bin);
});

after(() => rm(dir, { recursive: true, force: true }));

async function launch(env: Record<string, string>) {
  const { stdout } = await run(bin, ['queen', '--flag'], { env: { PATH: process.env.PATH!, ...env } });
  return JSON.parse(stdout) as { argv: string[]; env: Record<string, string | undefined> };
}

it('starts node with the malloc settings and the arguments it was given', async () => {
  const { argv, env } = await launch({});
  assert.deepEqual(argv, ['queen', '--flag']);
  assert.deepEqual(env, {
    GLIBC_TUNABLES: 'glibc.malloc.hugetlb=1', MALLOC_ARENA_MAX: '2', MALLOC_MMAP_THRESHOLD_: '1048576', MALLOC_TRIM_THRESHOLD_: '131072',
  });
});

it('keeps what the user set, and adds the huge pages to other tunables', async () => {
  assert.deepEqual((await launch({ MALLOC_ARENA_MAX: '4', MALLOC_MMAP_THRESHOLD_: '262144', GLIBC_TUNABLES: 'glibc.malloc.hugetlb=0' })).env, {
    GLIBC_TUNABLES: 'glibc.malloc.hugetlb=0', MALLOC_ARENA_MAX: '4', MALLOC_MMAP_THRESHOLD_: '262144', MALLOC_TRIM_THRESHOLD_: '131072',
  });
  // Empty is not a value: glibc would read a threshold of 0, every block a mapping of its own.
  assert.equal((await launch({ MALLOC_MMAP_THRESHOLD_: '' })).env.MALLOC_MMAP_THRESHOLD_, '1048576');
  assert.equal((await launch({ GLIBC_TUNABLES: 'glibc.malloc.tcache_count=0' })).env.GLIBC_TUNABLES, 'glibc.malloc.tcache_count=0:glibc.malloc.hugetlb=1');
  assert.equal((await launch({ GLIBC_TUNABLES: 'glibc.malloc.tcache_count=0:glibc.malloc.hugetlb=2' })).env.GLIBC_TUNABLES, 'glibc.malloc.tcache_count=0:glibc.malloc.hugetlb=2');
});
