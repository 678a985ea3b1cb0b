/**
 * How this process runs Hive's own modules, and how the child processes it starts (the
 * local drone, the git host) must run theirs: from a clone's TypeScript sources through
 * tsx (tests, `node scripts/hive.mjs`), or as the compiled JavaScript in `dist/` (the
 * installed package, `npm start`), where tsx is not even installed.
 */
import { fileURLToPath } from 'node:url';

/** True when this very file is the `.ts` source, i.e. tsx is compiling us on the fly. */
export const runningFromSources = import.meta.url.endsWith('.ts');

/** The package's root folder (where package.json is): `server/util/` is two levels down, `dist/server/util/` three. */
export const packageRoot = fileURLToPath(new URL(runningFromSources ? '../../' : '../../../', import.meta.url));

/**
 * The path of a module given by its source name relative to `fromUrl` (an `import.meta.url`):
 * `../drone/main.ts` from sources, `../drone/main.js` when compiled. For modules a child
 * process starts, which the compiler's import rewriting does not see.
 */
export function modulePath(relativeSource: string, fromUrl: string): string {
  const relative = runningFromSources ? relativeSource : relativeSource.replace(/\.tsx?$/, '.js');
  return fileURLToPath(new URL(relative, fromUrl));
}

/**
 * `--import` for child processes: tsx resolved by the queen when running from sources (so
 * they start whatever directory the queen was run from), nothing when compiled.
 */
export const tsxImportArgs: string[] = runningFromSources ? ['--import', import.meta.resolve('tsx')] : [];
