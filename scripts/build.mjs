#!/usr/bin/env node
// `npm run build`, and `prepare` with --if-stale (on `npm install`/`npm ci` in a clone, and `npm pack`):
// the installable Hive in dist/, laid out like the repository so that paths relative to a
// module (../../migrations, ../../web/) hold in both. tsc compiles the TypeScript
// (tsconfig.build.json; `.ts` imports become `.js`), esbuild bundles the browser scripts,
// and the files the runtime reads are copied. Nothing compiles anything at run time.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, rmSync, statSync, writeFileSync, chmodSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { buildStamp, isBuildFresh } from './build-freshness.mjs';

const root = resolve(import.meta.dirname, '..');
const dist = join(root, 'dist');
const stamp = buildStamp(root);

// One build at a time: test files that `npm pack` at once (each runs `prepare`) while
// others run the compiled Hive must not remove dist/ under each other. A later build waits
// for the one under way, then usually finds dist/ fresh. A lock left by a killed build
// (older than any build takes) is taken over.
const lock = join(root, '.build.lock');
const LOCK_STALE_MS = 5 * 60_000;
for (;;) {
  try {
    mkdirSync(lock);
    break;
  } catch (err) {
    if (err.code !== 'EEXIST') throw err;
    const age = Date.now() - (statSync(lock, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
    if (age > LOCK_STALE_MS) rmSync(lock, { recursive: true, force: true });
    else Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 200); // a synchronous sleep
  }
}
process.on('exit', () => rmSync(lock, { recursive: true, force: true }));

// `--if-stale` (prepare, npm start, npm run queen|drone): nothing to do when dist/ is newer
// than every source.
if (process.argv.includes('--if-stale') && isBuildFresh(root)) process.exit(0);

rmSync(dist, { recursive: true, force: true }); // no module deleted from the sources lingers
const tsc = spawnSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(root, 'tsconfig.build.json')], { stdio: 'inherit' });
if (tsc.status !== 0) {
  console.error('hive build: tsc failed (see above)');
  process.exit(tsc.status ?? 1);
}
chmodSync(join(dist, 'scripts/hive.js'), 0o755);
// npm's `hive`: the launcher that starts node with the memory settings (hive-launcher.sh says why).
cpSync(join(root, 'scripts/hive-launcher.sh'), join(dist, 'scripts/hive'));
chmodSync(join(dist, 'scripts/hive'), 0o755);
cpSync(join(root, 'scripts/malloc-settings.sh'), join(dist, 'scripts/malloc-settings.sh'));

// The bundles, with the same esbuild settings a queen from the sources uses in memory.
const { bundleClientScripts, BUNDLE_DIR } = await import(pathToFileURL(join(dist, 'server/routes/ui-bundle.js')).href);
mkdirSync(join(dist, 'web', BUNDLE_DIR), { recursive: true });
for (const { name, contents } of await bundleClientScripts(join(root, 'web/'))) {
  writeFileSync(join(dist, 'web', BUNDLE_DIR, name), contents);
}

cpSync(join(root, 'web/static'), join(dist, 'web/static'), { recursive: true });
cpSync(join(root, 'migrations'), join(dist, 'migrations'), { recursive: true });
writeFileSync(stamp, `${new Date().toISOString()}\n`);
console.log('hive build: dist/ ready');
