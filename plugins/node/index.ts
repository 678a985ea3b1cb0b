/**
 * `node`: builds a Node.js package. Picks the `node:<version>` image, installs
 * dependencies with `npm ci` using a cache directory keyed by the lockfile (kept by the
 * drone between jobs of the project, under $HIVE_CACHE_DIR), then runs the test script.
 */
import { z } from 'zod';
import { definePlugin, type PluginCommand } from '../api.ts';

/** The npm cache for this lockfile: identical lockfiles share a warm cache. */
const cacheDir = '"${HIVE_CACHE_DIR:-$HOME/.cache}/npm-$(cat package-lock.json 2>/dev/null | cksum | cut -d" " -f1)"';

export default definePlugin({
  name: 'node',
  version: '1.0.0',
  description: 'Installs dependencies with npm ci (cached by lockfile) and runs npm test.',
  configSchema: z.strictObject({
    /** Node.js major version or full tag, used as `node:<version>`; empty keeps the job's image. */
    version: z.string().regex(/^[\w.-]+$/, 'must be a version such as 20 or 20.11-slim').default('20').describe('Node.js version: the node image tag, e.g. 22 or 20.11-slim'),
    /** Use the node image (true) or run on the drone's own Node.js (false). */
    image: z.boolean().default(true).describe("Run in the node image (off: on the drone's own Node.js)"),
    install: z.enum(['ci', 'install', 'none']).default('ci').describe('How dependencies are installed: npm ci, npm install, or not at all'),
    /** npm scripts run in the test phase, in order. */
    scripts: z.array(z.string().min(1)).default(['test']).describe('npm scripts run in the test phase, in order'),
  }),
  phases: ({ config }) => {
    const prepare: PluginCommand[] = [{ run: 'node --version && npm --version', display: 'node --version && npm --version' }];
    if (config.install !== 'none') {
      prepare.push({
        run: `npm ${config.install} --no-audit --no-fund --prefer-offline --cache ${cacheDir}`,
        display: `npm ${config.install} (cache keyed by package-lock.json)`,
      });
    }
    const test = config.scripts.map((s) => (s === 'test' ? 'npm test' : `npm run ${s}`));
    return {
      ...(config.image ? { image: `node:${config.version}` } : {}),
      env: { NPM_CONFIG_UPDATE_NOTIFIER: 'false' },
      commands: { prepare, test },
    };
  },
});
