/** Checks a project's plugin list against the loaded plugins, naming the bad field. */
import type { PluginRegistry } from '../../plugins/loader.ts';
import { ValidationError } from '../errors.ts';
import { describeZodError } from '../jobs/repo-config.ts';

export function checkPluginList(registry: PluginRegistry, plugins: { name: string; config?: Record<string, unknown> }[]): void {
  plugins.forEach((ref, i) => {
    const loaded = registry.get(ref.name);
    if (!loaded) {
      const failed = registry.failures.find((f) => f.name === ref.name);
      throw new ValidationError(`plugins[${i}].name: plugin "${ref.name}" is not ${failed ? `usable: it failed to load (${failed.error})` : 'installed on this queen'}`);
    }
    const parsed = loaded.plugin.configSchema.safeParse(ref.config ?? {});
    if (!parsed.success) throw new ValidationError(describeZodError(parsed.error, `plugins[${i}].config.`), { cause: parsed.error });
  });
}

export function pluginListView(registry: PluginRegistry) {
  return {
    plugins: registry.list().map(({ plugin, builtIn, jsonSchema }) => ({
      name: plugin.name,
      version: plugin.version,
      description: plugin.description ?? null,
      builtIn,
      requiresDrone: !!plugin.requiresDrone,
      hooks: Object.keys(plugin.hooks ?? {}),
      configSchema: jsonSchema,
    })),
    failed: registry.failures,
  };
}

/** A plugin as the API and the settings page describe it. */
export type PluginInfo = ReturnType<typeof pluginListView>['plugins'][number];
