/**
 * A directory to load plugins from, as a user's installation would be: packages in its
 * node_modules, installed with npm from a folder, or written in place (for broken ones).
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const exec = promisify(execFile);

export interface PluginDir {
  dir: string;
  /** `npm install <folder>`: the real npm path, dependencies and all. */
  npmInstall(folder: string): Promise<void>;
  /** Writes a package straight into node_modules (ESM, `index.js`). */
  writePackage(name: string, source: string): Promise<void>;
  cleanup(): Promise<void>;
}

export async function createPluginDir(): Promise<PluginDir> {
  const dir = await mkdtemp(join(tmpdir(), 'hive-plugins-'));
  await writeFile(join(dir, 'package.json'), JSON.stringify({ name: 'hive-install', private: true, type: 'module' }));
  return {
    dir,
    async npmInstall(folder) {
      // --prefer-offline: the registry is reachable, but the cache (warm from `npm ci`) is faster.
      await exec('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--install-links', folder], { cwd: dir });
    },
    async writePackage(name, source) {
      const pkg = join(dir, 'node_modules', name);
      await mkdir(pkg, { recursive: true });
      await writeFile(join(pkg, 'package.json'), JSON.stringify({ name, version: '0.0.1', type: 'module', main: 'index.js' }));
      await writeFile(join(pkg, 'index.js'), source);
    },
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}
