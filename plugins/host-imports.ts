/**
 * Makes `hive-ci/*` imports resolve to the running Hive (host-imports-hook.ts), once per
 * process, before plugins load. A plugin then shares the queen's zod and types however it
 * was installed: from the registry, a tarball, or `npm install ./dir` (a link, whose
 * folder's own node_modules has no hive-ci). No symlinks are made or needed.
 */
import { readFileSync } from 'node:fs';
import { register } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { modulePath, packageRoot, runningFromSources } from '../server/util/tsx-loader.ts';
import type { HostImportsData } from './host-imports-hook.ts';

let registered = false;

export function registerHostImports(): void {
  if (registered) return;
  registered = true;
  const manifest = JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8')) as { exports?: Record<string, unknown> };
  const data: HostImportsData = {
    rootUrl: pathToFileURL(packageRoot).href.replace(/\/?$/, '/'),
    exports: manifest.exports ?? {},
    fromSources: runningFromSources,
  };
  register(pathToFileURL(modulePath('./host-imports-hook.ts', import.meta.url)).href, { data });
}
