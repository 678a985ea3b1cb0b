// Whether dist/ was built from the current sources: by `npm start` (build.mjs --if-stale,
// to skip a needless build) and by the tests (test/helpers/built-hive.ts, to run the
// compiled Hive — what users install, and quicker to start — when it is current).
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** What the build reads, relative to the package root. */
const SOURCES = ['common', 'server', 'drone', 'plugins', 'web', 'scripts', 'migrations', 'package.json', 'tsconfig.json', 'tsconfig.build.json'];

/** The newest modification time of what the build reads. */
export function newestSource(root) {
  const newest = (path) => {
    const st = statSync(path, { throwIfNoEntry: false });
    if (!st) return 0;
    if (!st.isDirectory()) return st.mtimeMs;
    return Math.max(0, ...readdirSync(path).map((name) => newest(join(path, name))));
  };
  return Math.max(...SOURCES.map((p) => newest(join(root, p))));
}

/** The stamp build.mjs writes last, once dist/ is complete. */
export const buildStamp = (root) => join(root, 'dist', '.built');

/** True when dist/ is complete and newer than every source. */
export function isBuildFresh(root) {
  return (statSync(buildStamp(root), { throwIfNoEntry: false })?.mtimeMs ?? 0) > newestSource(root);
}
