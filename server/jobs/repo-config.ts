/**
 * The build configuration a project holds and a repository's `.hive.yml` may override:
 * the same shape in both places, validated with one schema so errors name the field.
 */
import { parse as parseYaml, YAMLParseError } from 'yaml';
import { z } from 'zod';
import { ValidationError } from '../errors.ts';
import { PHASES } from '../../common/protocol/index.ts';
import { describeBadString, findBadString } from '../util/bad-chars.ts';
import { matrixSchema } from './matrix.ts';

// One command may be written as a plain string; errors still name the list item.
const commandList = z.preprocess(
  (v) => (typeof v === 'string' ? [v] : v),
  z.array(z.string().min(1, 'must not be empty')).max(500),
);
const envValue = z.union([z.string(), z.number(), z.boolean()]).transform(String);
const envName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be a valid environment variable name');

export const serviceSchema = z.strictObject({
  name: z.string().regex(/^[a-z0-9][a-z0-9_.-]*$/, 'must be a lowercase host name'),
  image: z.string().min(1).max(500),
  env: z.record(z.string(), envValue).optional(),
  command: z.array(z.string()).optional(),
});

export const pluginEntrySchema = z.strictObject({
  name: z.string().min(1).max(214),
  enabled: z.boolean().optional(),
  config: z.record(z.string(), z.unknown()).optional(),
});

/** What a branch section (`branches: {"release/*": {...}}`) may set. */
const sectionFields = {
  phases: z.partialRecord(z.enum(PHASES), commandList).optional(),
  env: z.record(envName, envValue).optional(),
  image: z.string().min(1).max(500).optional(),
  /** Whole-job timeout, in seconds. */
  timeout: z.number().int().positive().max(7 * 24 * 3600).optional(),
  labels: z.array(z.string().min(1).max(200)).max(50).optional(),
  services: z.array(serviceSchema).max(10).optional(),
  /** Added to or overriding the project's plugins, matched by name. */
  plugins: z.array(pluginEntrySchema).max(100).optional(),
};

export const branchSectionSchema = z.strictObject(sectionFields);

export const buildConfigSchema = z.strictObject({
  ...sectionFields,
  retryOnLostDrone: z.boolean().optional(),
  /**
   * The project's alone (a `.hive.yml` cannot set it): a job with an image may also run as
   * plain processes on a drone without Docker. Off, such a job waits for a `docker` drone.
   */
  processFallback: z.boolean().optional(),
  /** `.hive.yml` only: one job per combination (matrix.ts). */
  matrix: matrixSchema.optional(),
  /** Per-branch sections, applied in order when their glob matches the built branch. */
  branches: z.record(z.string().min(1), branchSectionSchema).optional(),
});

/**
 * A project's own config: plugins are a separate, ordered project field, not part of it;
 * a matrix belongs to the commit it builds (`.hive.yml`).
 */
export const projectConfigSchema = buildConfigSchema.omit({ plugins: true, matrix: true });

export type BuildConfig = z.output<typeof buildConfigSchema>;
export type BranchSection = z.output<typeof branchSectionSchema>;
export type PluginEntry = z.output<typeof pluginEntrySchema>;

/** "phases.test[0]: expected string" — the path and the problem of the first issues. */
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
  // NUL or a lone surrogate could reach no column (the spec is stored): name the field.
  const bad = findBadString(value);
  if (bad) throw new ValidationError(`Invalid .hive.yml: ${describeBadString(bad)}`);
  return parseBuildConfig(value ?? {}, '.hive.yml');
}
