/**
 * Secret plugin fields. A plugin marks a top-level config field secret in its schema with
 * zod's metadata, `z.url().meta({ secret: true })`; `z.toJSONSchema` carries it into the
 * JSON Schema `GET /api/plugins` serves (`"secret": true`), which is where Hive reads it.
 * Such fields are write-only, like project secrets, for admins too:
 *
 * - answers leave them out of a plugin's config and list them in `secretsSet` instead;
 * - a saved plugin list without the field keeps the stored value (matched by plugin name
 *   and position among plugins of that name); `null` removes it.
 *
 * Stored as the rest of the plugin config (not sealed with the project's SecretBox):
 * plugins and their hooks read their config as it is stored.
 */
import type { PluginRegistry } from '../../plugins/loader.ts';
import type { PluginRef } from '../db/schema.ts';

type Config = Record<string, unknown>;
interface Ref { name: string; enabled?: boolean; config?: Config }

/** The plugin's top-level config fields marked `secret: true` in its JSON Schema. */
export function secretFieldsOf(registry: PluginRegistry, name: string): string[] {
  const schema = registry.get(name)?.jsonSchema as { properties?: Record<string, { secret?: unknown }> } | null | undefined;
  return Object.entries(schema?.properties ?? {}).filter(([, p]) => p?.secret === true).map(([key]) => key);
}

/** Pairs each entry with the stored one of the same name and position among that name's entries. */
function storedCounterparts<T extends Ref>(incoming: T[], stored: Ref[]): (Ref | undefined)[] {
  const seen = new Map<string, number>();
  return incoming.map((entry) => {
    const n = seen.get(entry.name) ?? 0;
    seen.set(entry.name, n + 1);
    return stored.filter((s) => s.name === entry.name)[n];
  });
}

/** The incoming plugin list with stored secret values kept where a field is absent, removed where null. */
export function keepStoredSecrets<T extends Ref>(registry: PluginRegistry, incoming: T[], stored: Ref[]): T[] {
  const counterparts = storedCounterparts(incoming, stored);
  return incoming.map((entry, i) => {
    const secret = secretFieldsOf(registry, entry.name);
    if (secret.length === 0) return entry;
    const config: Config = { ...(entry.config ?? {}) };
    for (const field of secret) {
      if (config[field] === null) delete config[field];
      else if (!(field in config) && counterparts[i]?.config && field in counterparts[i]!.config!) config[field] = counterparts[i]!.config![field];
    }
    return { ...entry, config };
  });
}

export type PluginRefView = PluginRef & { secretsSet?: string[] };

/** Plugin entries as answers show them: secret fields left out, named in `secretsSet` when set. */
export function hidePluginSecrets(registry: PluginRegistry, plugins: PluginRef[]): PluginRefView[] {
  return plugins.map((entry) => {
    const secret = secretFieldsOf(registry, entry.name);
    if (secret.length === 0) return entry;
    const config: Config = { ...entry.config };
    const secretsSet: string[] = [];
    for (const field of secret) {
      if (field in config) secretsSet.push(field);
      delete config[field];
    }
    return { ...entry, config, secretsSet };
  });
}
