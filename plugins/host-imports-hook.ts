/**
 * A module resolution hook (runs in Node's loader thread, registered by host-imports.ts):
 * `hive-ci` and `hive-ci/<subpath>` imported by a plugin resolve to the files of the Hive
 * that runs, through its own package.json `exports` — never to a copy in the plugin's
 * node_modules, and also for a plugin linked from a folder that has no node_modules at
 * all. When Hive runs from its TypeScript sources, `dist/x.js` targets map to `x.ts`.
 */
export interface HostImportsData {
  /** file: URL of the running package's root folder, with a trailing slash. */
  rootUrl: string;
  /** The package's `exports` map. */
  exports: Record<string, unknown>;
  fromSources: boolean;
}

type Resolved = { url: string; shortCircuit?: boolean; format?: string | null };
type NextResolve = (specifier: string, context?: unknown) => Resolved | Promise<Resolved>;

const PACKAGE = 'hive-ci';
let data: HostImportsData | undefined;

export function initialize(d: HostImportsData): void {
  data = d;
}

/** The file an `exports` entry points to for an ES module import (conditions import, node, default). */
function target(entry: unknown): string | undefined {
  if (typeof entry === 'string') return entry;
  if (!entry || typeof entry !== 'object') return undefined;
  for (const condition of ['import', 'node', 'default']) {
    const found = target((entry as Record<string, unknown>)[condition]);
    if (found) return found;
  }
  return undefined;
}

export async function resolve(specifier: string, context: unknown, nextResolve: NextResolve): Promise<Resolved> {
  if (!data || (specifier !== PACKAGE && !specifier.startsWith(`${PACKAGE}/`))) return nextResolve(specifier, context);
  const subpath = `.${specifier.slice(PACKAGE.length)}`;
  const file = target(data.exports[subpath]);
  if (!file) {
    const known = Object.keys(data.exports).map((k) => `${PACKAGE}${k.slice(1)}`).join(', ');
    throw Object.assign(new Error(`"${specifier}" is not something Hive exports to plugins (it exports ${known})`), { code: 'ERR_PACKAGE_PATH_NOT_EXPORTED' });
  }
  const source = data.fromSources && /^\.\/dist\/.*\.js$/.test(file) ? file.replace(/^\.\/dist\//, './').replace(/\.js$/, '.ts') : file;
  // On down the chain with the file's URL: Node (or tsx, for a .ts source) loads it as any other.
  return nextResolve(new URL(source, data.rootUrl).href, context);
}
