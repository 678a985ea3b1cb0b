/**
 * Loads the plugins Hive runs with: the built-ins, plus npm packages named in the queen's
 * configuration (`HIVE_PLUGINS=hive-plugin-foo,@acme/hive-plugin-bar`). A package that
 * cannot be found, throws while loading, or does not export a valid plugin is reported
 * with its name and cause, and the queen starts without it.
 */
import { pathToFileURL } from 'node:url';
import { z } from 'zod';
import type { HivePlugin } from './api.ts';
import { registerHostImports } from './host-imports.ts';
import { resolvePackageEntry } from './resolve-package.ts';

export interface LoadedPlugin {
  plugin: HivePlugin;
  builtIn: boolean;
  /** The config schema as JSON Schema, for forms and `GET /api/plugins`. */
  jsonSchema: unknown;
}

export interface PluginLoadFailure {
  name: string;
  error: string;
}

export class PluginLoadError extends Error {
  override name = 'PluginLoadError';
}

const BUILT_INS: Record<string, () => Promise<{ default: unknown }>> = {
  custom: () => import('./custom/index.ts'),
  env: () => import('./env/index.ts'),
  node: () => import('./node/index.ts'),
  docker: () => import('./docker/index.ts'),
  'webhook-notify': () => import('./webhook-notify/index.ts'),
};

export const BUILT_IN_PLUGINS = Object.keys(BUILT_INS);

export class PluginRegistry {
  constructor(
    private readonly plugins: Map<string, LoadedPlugin>,
    readonly failures: PluginLoadFailure[],
  ) {}

  get(name: string): LoadedPlugin | undefined {
    return this.plugins.get(name);
  }

  list(): LoadedPlugin[] {
    return [...this.plugins.values()];
  }
}

/** Checks that a module's default export has the shape of a plugin. */
export function validatePluginShape(value: unknown, expectedName: string): HivePlugin {
  const p = value as Partial<HivePlugin> | null;
  const problems: string[] = [];
  if (!p || typeof p !== 'object') throw new PluginLoadError('its default export is not a plugin object (use definePlugin)');
  if (typeof p.name !== 'string' || !p.name) problems.push('"name" must be a non-empty string');
  if (typeof p.version !== 'string' || !p.version) problems.push('"version" must be a string');
  if (!p.configSchema || typeof (p.configSchema as { safeParse?: unknown }).safeParse !== 'function') {
    problems.push('"configSchema" must be a zod schema');
  }
  if (p.phases !== undefined && typeof p.phases !== 'function') problems.push('"phases" must be a function');
  if (p.hooks !== undefined) {
    if (typeof p.hooks !== 'object' || p.hooks === null) problems.push('"hooks" must be an object');
    else {
      for (const [k, v] of Object.entries(p.hooks)) {
        if (!['job:queued', 'job:started', 'job:done'].includes(k)) problems.push(`unknown hook "${k}"`);
        else if (typeof v !== 'function') problems.push(`hook "${k}" must be a function`);
      }
    }
  }
  if (problems.length) throw new PluginLoadError(problems.join('; '));
  if (p.name !== expectedName) throw new PluginLoadError(`it calls itself "${p.name}", but was loaded as "${expectedName}"`);
  return p as HivePlugin;
}

function toJsonSchema(schema: z.ZodType): unknown {
  try {
    return z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' });
  } catch {
    return null; // a schema zod cannot describe: the UI falls back to a JSON editor
  }
}

async function loadOne(name: string, resolveFrom: string): Promise<LoadedPlugin> {
  const builtIn = BUILT_INS[name];
  let mod: { default?: unknown };
  if (builtIn) {
    mod = await builtIn();
  } else {
    const entry = resolvePackageEntry(name, resolveFrom);
    if (!entry) throw new PluginLoadError(`package not found in node_modules (from ${resolveFrom}); run npm install ${name}`);
    registerHostImports(); // its `hive-ci/plugin` import must find this Hive
    try {
      mod = await import(pathToFileURL(entry).href);
    } catch (cause) {
      throw new PluginLoadError(`loading it threw: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    }
  }
  const plugin = validatePluginShape(mod.default, name);
  return { plugin, builtIn: !!builtIn, jsonSchema: toJsonSchema(plugin.configSchema) };
}

export async function loadPlugins(options: { names: string[]; resolveFrom: string }): Promise<PluginRegistry> {
  const plugins = new Map<string, LoadedPlugin>();
  const failures: PluginLoadFailure[] = [];
  for (const name of [...new Set([...BUILT_IN_PLUGINS, ...options.names])]) {
    try {
      plugins.set(name, await loadOne(name, options.resolveFrom));
    } catch (err) {
      failures.push({ name, error: err instanceof Error ? err.message : String(err) });
    }
  }
  return new PluginRegistry(plugins, failures);
}
