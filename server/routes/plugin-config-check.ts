/** The installed plugins as the API and the settings page describe them (saving checks through jobs/plugin-host.ts). */
import type { PluginRegistry } from '../../plugins/loader.ts';

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
