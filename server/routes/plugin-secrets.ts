/**
 * Secret plugin fields (jobs/plugin-secret-fields.ts) are write-only, like project secrets,
 * for admins too:
 *
 * - answers leave them out of a plugin's config and list them in `secretsSet` instead;
 * - a saved plugin list without the field keeps the stored value (matched by plugin name
 *   and position among plugins of that name); `null` removes it.
 *
 * They are stored sealed (jobs/sealed-plugin-config.ts): `savePluginList` is the one way
 * a plugin list from a request reaches the database.
 */
import type { PluginRegistry } from '../../plugins/loader.ts';
import type { SecretBox } from '../auth/secret-box.ts';
import type { PluginRef } from '../db/schema.ts';
import { checkPluginList } from '../jobs/plugin-host.ts';
import { secretFieldsOf } from '../jobs/plugin-secret-fields.ts';
import { isSealed, openPluginSecrets, sealPluginSecrets } from '../jobs/sealed-plugin-config.ts';

export { secretFieldsOf };

type Config = Record<string, unknown>;
interface Ref { name: string; enabled?: boolean; config?: Config }

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
    // A sealed value is hidden whatever the registry says now (a plugin not loaded, a changed schema).
    const secret = [...new Set([...secretFieldsOf(registry, entry.name), ...Object.keys(entry.config ?? {}).filter((k) => isSealed(entry.config[k]))])];
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

/**
 * A plugin list from a request as it is stored: stored secret values kept where the request
 * leaves them out, checked against the plugins' schemas (a 400 naming the field), then
 * every secret field sealed.
 */
export function savePluginList<T extends PluginRef>(box: SecretBox, registry: PluginRegistry, incoming: T[], stored: PluginRef[]): T[] {
  const plugins = keepStoredSecrets(registry, incoming, openPluginSecrets(box, stored));
  checkPluginList(registry, plugins);
  return sealPluginSecrets(box, registry, plugins);
}
