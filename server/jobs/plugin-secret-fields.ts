/**
 * Which parts of a plugin's config are secret, and their values. A plugin marks a top-level
 * config field secret in its schema with zod's metadata, `z.url().meta({ secret: true })`;
 * `z.toJSONSchema` carries it into the JSON Schema `GET /api/plugins` serves
 * (`"secret": true`), which is where Hive reads it.
 */
import type { PluginRegistry } from '../../plugins/loader.ts';
import { MIN_SECRET_LENGTH } from '../../common/secrets/redact.ts';

/** The plugin's top-level config fields marked `secret: true` in its JSON Schema. */
export function secretFieldsOf(registry: PluginRegistry, name: string): string[] {
  const schema = registry.get(name)?.jsonSchema as { properties?: Record<string, { secret?: unknown }> } | null | undefined;
  return Object.entries(schema?.properties ?? {}).filter(([, p]) => p?.secret === true).map(([key]) => key);
}

/** One string inside a secret field's value (the field itself, or e.g. one header of a map). */
export interface SecretLeaf {
  plugin: string;
  /** Position among the job's plugins of that name (a project may list one plugin twice). */
  n: number;
  field: string;
  /** Keys below the field, empty when the field is the string itself. */
  path: string[];
  value: string;
}

/**
 * Every string in the secret fields of these (opened) plugin configs that is long enough to
 * be masked (common/secrets/redact.ts's rule): what must never be stored or logged.
 */
export function secretLeavesOf(registry: PluginRegistry, plugins: { name: string; config?: unknown }[]): SecretLeaf[] {
  const seen = new Map<string, number>();
  const out: SecretLeaf[] = [];
  for (const entry of plugins) {
    const n = seen.get(entry.name) ?? 0;
    seen.set(entry.name, n + 1);
    const config = entry.config;
    if (!config || typeof config !== 'object') continue;
    for (const field of secretFieldsOf(registry, entry.name)) {
      collect((config as Record<string, unknown>)[field], [], (path, value) => out.push({ plugin: entry.name, n, field, path, value }));
    }
  }
  return out.filter((leaf) => leaf.value.length >= MIN_SECRET_LENGTH);
}

function collect(value: unknown, path: string[], add: (path: string[], value: string) => void, depth = 0): void {
  if (depth > 10) return;
  if (typeof value === 'string') add(path, value);
  else if (Array.isArray(value)) value.forEach((v, i) => collect(v, [...path, String(i)], add, depth + 1));
  else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) collect(v, [...path, k], add, depth + 1);
}

/** The leaf's value in these (opened) plugins, or undefined when it is not there. */
export function leafValue(plugins: { name: string; config?: unknown }[], leaf: Omit<SecretLeaf, 'value'>): string | undefined {
  let value: unknown = plugins.filter((p) => p.name === leaf.plugin)[leaf.n]?.config;
  for (const key of [leaf.field, ...leaf.path]) {
    if (!value || typeof value !== 'object') return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return typeof value === 'string' ? value : undefined;
}
