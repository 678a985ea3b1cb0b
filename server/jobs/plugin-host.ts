/**
 * The one place a plugin's config meets its schema. A job's plugins are validated once,
 * at resolution, and stored on the job (`jobs.plugins`) with their parsed configs: its
 * phases are compiled from that list and its hooks run from it, so a plugin that
 * `.hive.yml` added gets its hooks, and a settings change made while the job waits or
 * runs does not change which hooks run. Saving project settings checks through here too.
 */
import type { HivePlugin } from '../../plugins/api.ts';
import type { PluginRegistry } from '../../plugins/loader.ts';
import type { JobPlugin, PluginRef } from '../db/schema.ts';
import { ResolveError, ValidationError } from '../errors.ts';
import { describeZodError } from './repo-config.ts';

export interface ValidPlugin {
  plugin: HivePlugin;
  config: unknown;
}

/** Why a plugin cannot be used: `where` prefixes the field named in the message. */
function check(registry: PluginRegistry, ref: { name: string; config?: unknown }, where: string): ValidPlugin | { problem: string; cause?: unknown } {
  const loaded = registry.get(ref.name);
  if (!loaded) {
    const failure = registry.failures.find((f) => f.name === ref.name);
    return { problem: `${where}name: plugin "${ref.name}" is not ${failure ? `usable: it failed to load (${failure.error})` : 'installed on this queen (add it to HIVE_PLUGINS)'}` };
  }
  const parsed = loaded.plugin.configSchema.safeParse(ref.config ?? {});
  if (!parsed.success) return { problem: describeZodError(parsed.error, `${where}config.`), cause: parsed.error };
  return { plugin: loaded.plugin, config: parsed.data };
}

/** A project's plugin list as saved through the API or the settings page: a 400 naming the field. */
export function checkPluginList(registry: PluginRegistry, plugins: { name: string; config?: Record<string, unknown> }[]): void {
  plugins.forEach((ref, i) => {
    const result = check(registry, ref, `plugins[${i}].`);
    if ('problem' in result) throw new ValidationError(result.problem, { cause: result.cause });
  });
}

/** The enabled plugins of a job's merged configuration, validated: what the job is built with. */
export function resolveJobPlugins(registry: PluginRegistry, plugins: PluginRef[]): JobPlugin[] {
  return plugins.filter((p) => p.enabled).map((ref) => {
    const result = check(registry, ref, `plugin "${ref.name}" `);
    if ('problem' in result) throw new ResolveError(`Cannot use ${result.problem}`, { cause: result.cause });
    return { name: ref.name, config: result.config };
  });
}

/** The loaded plugin behind a job's stored entry; undefined when the queen no longer has it. */
export function loadedPlugin(registry: PluginRegistry, entry: JobPlugin): HivePlugin | undefined {
  return registry.get(entry.name)?.plugin;
}
