/**
 * Finds the ES module entry of an installed npm package, looking in `node_modules` from a
 * directory upwards as Node does. Written out because Node 20 cannot resolve a bare
 * specifier relative to an arbitrary directory for `import()`, and `require.resolve`
 * misses packages that export only an `import` condition.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

type Exports = string | { [key: string]: Exports } | null | undefined;

function pickEntry(exp: Exports): string | undefined {
  if (typeof exp === 'string') return exp;
  if (!exp || typeof exp !== 'object') return undefined;
  if ('.' in exp) return pickEntry(exp['.']);
  for (const condition of ['import', 'node', 'default']) {
    if (condition in exp) {
      const found = pickEntry(exp[condition]);
      if (found) return found;
    }
  }
  return undefined;
}

export function resolvePackageEntry(name: string, fromDir: string): string | undefined {
  let dir = resolve(fromDir);
  for (;;) {
    const pkgDir = join(dir, 'node_modules', name);
    const manifest = join(pkgDir, 'package.json');
    if (existsSync(manifest)) {
      const pkg = JSON.parse(readFileSync(manifest, 'utf8')) as { exports?: Exports; module?: string; main?: string };
      const entry = pickEntry(pkg.exports) ?? pkg.module ?? pkg.main ?? 'index.js';
      return join(pkgDir, entry);
    }
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}
