/**
 * The build configuration a project holds and a repository's `.hive.yml` may override:
 * the same shape in both places, validated with one schema so errors name the field.
 */
import { parse as parseYaml, YAMLParseError } from 'yaml';
import { z } from 'zod';
import { ValidationError } from '../errors.ts';
import { PHASES } from '../protocol/index.ts';

// One command may be written as a plain string; errors still name the list item.
const commandList = z.preprocess(
  (v) => (typeof v === 'string' ? [v] : v),
  z.array(z.string().min(1, 'must not be empty')).max(500),
);
const envValue = z.union([z.string(), z.number(), z.boolean()]).transform(String);
const envName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be a valid environment variable name');

export const buildConfigSchema = z.strictObject({
  phases: z.partialRecord(z.enum(PHASES), commandList).optional(),
  env: z.record(envName, envValue).optional(),
  image: z.string().min(1).max(500).optional(),
  /** Whole-job timeout, in seconds. */
  timeout: z.number().int().positive().max(7 * 24 * 3600).optional(),
  labels: z.array(z.string().min(1).max(200)).max(50).optional(),
  retryOnLostDrone: z.boolean().optional(),
});

export type BuildConfig = z.output<typeof buildConfigSchema>;

/** "phases.test[0]: expected string" — the path and the problem of the first issue. */
export function describeZodError(error: z.ZodError, prefix = ''): string {
  return error.issues
    .slice(0, 3)
    .map((i) => {
      const path = i.path.map((p, n) => (typeof p === 'number' ? `[${p}]` : n === 0 ? String(p) : `.${String(p)}`)).join('');
      const where = prefix + path;
      return where ? `${where}: ${i.message}` : i.message;
    })
    .join('; ');
}

export function parseBuildConfig(value: unknown, where: string): BuildConfig {
  const result = buildConfigSchema.safeParse(value ?? {});
  if (!result.success) throw new ValidationError(`Invalid ${where}: ${describeZodError(result.error)}`, { cause: result.error });
  return result.data;
}

/** Parses `.hive.yml` text; an empty file is an empty config. */
export function parseHiveYml(text: string): BuildConfig {
  let value: unknown;
  try {
    value = parseYaml(text, { maxAliasCount: 100 });
  } catch (err) {
    const detail = err instanceof YAMLParseError ? err.message.split('\n')[0] : String(err);
    throw new ValidationError(`.hive.yml is not valid YAML: ${detail}`, { cause: err });
  }
  return parseBuildConfig(value ?? {}, '.hive.yml');
}
