/**
 * Secret plugin fields at rest: in a project's plugin list and a job's resolved plugins
 * (`jobs.plugins`) each secret field's value is stored as `{"$sealed": "v1.…"}`, the value's
 * JSON sealed with the secret box (auth/secret-box.ts) — so it moves with the key, as
 * project secrets do (`hive db export/import`, docs/OPERATIONS.md). Values are opened only
 * where a plugin needs them: compiling a job's phases, running its hooks, the assignment.
 *
 * Rows written before sealing hold plain values; opening passes them through, and a queen
 * seals the projects' ones when it starts (seal-stored-plugin-secrets.ts) — a save does too.
 */
import type { SecretBox } from '../auth/secret-box.ts';
import type { PluginRegistry } from '../../plugins/loader.ts';
import { secretFieldsOf } from './plugin-secret-fields.ts';

export const SEALED_KEY = '$sealed';

interface Entry { name: string; config?: unknown }

/** Whether a stored value is a sealed one: exactly `{"$sealed": "<ciphertext>"}`. */
export function isSealed(value: unknown): value is { [SEALED_KEY]: string } {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return false;
  const keys = Object.keys(value);
  return keys.length === 1 && keys[0] === SEALED_KEY && typeof (value as Record<string, unknown>)[SEALED_KEY] === 'string';
}

const isRecord = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);

/** The entries with each secret field's value sealed (values already sealed stay as they are). */
export function sealPluginSecrets<T extends Entry>(box: SecretBox, registry: PluginRegistry, plugins: T[]): T[] {
  return plugins.map((entry) => {
    const fields = secretFieldsOf(registry, entry.name);
    if (fields.length === 0 || !isRecord(entry.config)) return entry;
    const config = { ...entry.config };
    for (const field of fields) {
      const value = config[field];
      if (value === undefined || value === null || isSealed(value)) continue;
      config[field] = { [SEALED_KEY]: box.seal(JSON.stringify(value)) };
    }
    return { ...entry, config };
  });
}

/**
 * The entries with every sealed top-level value opened — whatever the registry says now, so
 * a plugin whose schema changed or that is not loaded still gets its values. Plain values
 * (rows from before sealing) pass through.
 */
export function openPluginSecrets<T extends Entry>(box: SecretBox, plugins: T[]): T[] {
  return plugins.map((entry) => {
    if (!isRecord(entry.config) || !Object.values(entry.config).some(isSealed)) return entry;
    const config = Object.fromEntries(Object.entries(entry.config).map(([k, v]) => [k, isSealed(v) ? JSON.parse(box.open(v[SEALED_KEY])) : v]));
    return { ...entry, config };
  });
}
