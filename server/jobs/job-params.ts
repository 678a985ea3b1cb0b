/**
 * Build parameters: what a project declares (`parameters`, set by admins) and what a
 * trigger may give (`params`, set by anyone who may run builds). The values become
 * environment variables of the job (build-spec.ts puts them over the configured env).
 *
 * `resolveParams` is the one check every way of starting a build goes through — the API,
 * the web UI's run form, the CLI (through the API), schedules and runs — so a value a
 * project does not allow never reaches a drone. Re-runs repeat a build exactly as it was
 * and so keep its stored values without checking them again (job-control.ts).
 *
 * Names: `[A-Z][A-Z0-9_]*`, and none a build's environment depends on. Hive's own
 * variables (`CI`, `HIVE`, `HIVE_*`) cannot be overridden by a parameter, and neither can
 * variables that decide which programs run or what code they load — `PATH`, `HOME`,
 * `SHELL`, `IFS`, the shell's start-up files (`ENV`, `BASH_ENV`), the dynamic loader
 * (`LD_*`, `DYLD_*`), git (`GIT_*`, e.g. `GIT_SSH_COMMAND`) and `NODE_OPTIONS`: with
 * those, whoever may run a build (not only admins) could make its commands — deploys with
 * secrets among them — run other code, e.g. an uploaded library through `LD_PRELOAD`.
 */
import { z } from 'zod';
import type { ParameterDef } from '../db/schema.ts';
import { ValidationError } from '../errors.ts';

export const MAX_PARAMETERS = 50;
export const MAX_PARAMETER_NAME = 100;
export const MAX_PARAMETER_VALUE = 10_000;
export const MAX_CHOICES = 100;

/** Exact names a parameter may not have (see the module comment). */
const RESERVED_NAMES = new Set([
  'CI', 'HIVE', 'PATH', 'HOME', 'SHELL', 'USER', 'PWD', 'TMPDIR', 'IFS', 'ENV', 'BASH_ENV', 'SHELLOPTS', 'BASHOPTS',
  'PS4', 'NODE_OPTIONS',
]);
const RESERVED_PREFIXES = ['HIVE_', 'LD_', 'DYLD_', 'GIT_'];

/** Why `name` cannot be a parameter's name, in words; undefined when it can. */
export function parameterNameProblem(name: string): string | undefined {
  if (!/^[A-Z][A-Z0-9_]*$/.test(name)) return 'must be upper-case letters, digits and "_", starting with a letter (e.g. TARGET_ENV)';
  if (name.length > MAX_PARAMETER_NAME) return `must be at most ${MAX_PARAMETER_NAME} characters`;
  const prefix = RESERVED_PREFIXES.find((p) => name.startsWith(p));
  if (prefix) return `must not start with ${prefix}: ${prefix === 'HIVE_' ? 'Hive sets those itself' : 'those decide what code builds run'}`;
  if (RESERVED_NAMES.has(name)) return `is reserved: ${name === 'CI' || name === 'HIVE' ? 'Hive sets it itself' : 'builds depend on it to run the right programs'}`;
  return undefined;
}

/** Why `value` cannot be a parameter's value (the environment of a process cannot hold a NUL). */
function valueProblem(value: string): string | undefined {
  if (value.length > MAX_PARAMETER_VALUE) return `must be at most ${MAX_PARAMETER_VALUE} characters`;
  if (value.includes('\u0000')) return 'must not contain a NUL character';
  return undefined;
}

const parameterValue = z.string().superRefine((v, ctx) => {
  const problem = valueProblem(v);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

const parameterName = z.string().superRefine((name, ctx) => {
  const problem = parameterNameProblem(name);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

/** One declared parameter, as the project API takes it. */
export const parameterDef = z.strictObject({
  name: parameterName,
  description: z.string().max(1000).optional(),
  default: parameterValue.optional(),
  choices: z.array(parameterValue).min(1, 'must list at least one value (leave choices out for free text)').max(MAX_CHOICES).optional(),
}).superRefine((def, ctx) => {
  if (def.choices) {
    const seen = new Set<string>();
    def.choices.forEach((choice, i) => {
      if (seen.has(choice)) ctx.addIssue({ code: 'custom', path: ['choices', i], message: `"${choice}" is listed twice` });
      seen.add(choice);
    });
    if (def.default !== undefined && !seen.has(def.default)) {
      ctx.addIssue({ code: 'custom', path: ['default'], message: `must be one of the choices (${describeChoices(def.choices)})` });
    }
  }
});

/** A project's `parameters`: unique names, at most MAX_PARAMETERS. */
export const parameterDefs = z.array(parameterDef).max(MAX_PARAMETERS).superRefine((defs, ctx) => {
  const seen = new Set<string>();
  defs.forEach((def, i) => {
    if (seen.has(def.name)) ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `${def.name} is declared twice` });
    seen.add(def.name);
  });
});

/**
 * A trigger's `params`: name → value. Numbers and booleans are taken as their text, as
 * `.hive.yml` env values are; the names and values are checked by `resolveParams`.
 */
export const paramValues = z.record(
  z.string().max(MAX_PARAMETER_NAME * 2),
  z.union([z.string(), z.number(), z.boolean()]).transform(String),
).refine((p) => Object.keys(p).length <= MAX_PARAMETERS, `at most ${MAX_PARAMETERS} values (a project declares at most ${MAX_PARAMETERS} parameters)`);

function describeChoices(choices: string[]): string {
  const shown = choices.slice(0, 10).map((c) => JSON.stringify(c)).join(', ');
  return choices.length > 10 ? `${shown}, … ${choices.length - 10} more` : shown;
}

/**
 * The values a job gets: each declared parameter the trigger gives, with its value
 * checked against the declaration's choices; each one it leaves out, its default (none:
 * not set). Throws a ValidationError (400) naming undeclared parameters, or the parameter
 * whose value is not allowed. Declaration order.
 */
export function resolveParams(declared: readonly ParameterDef[], given: Readonly<Record<string, string>> | undefined): Record<string, string> {
  const values = given ?? {};
  const names = new Set(declared.map((d) => d.name));
  const undeclared = Object.keys(values).filter((name) => !names.has(name));
  if (undeclared.length > 0) {
    const shown = undeclared.slice(0, 10).map((n) => JSON.stringify(n.slice(0, 100))).join(', ');
    const which = declared.length === 0 ? 'the project declares no parameters' : `declared: ${declared.map((d) => d.name).join(', ')}`;
    throw new ValidationError(`params: ${undeclared.length === 1 ? 'undeclared parameter' : 'undeclared parameters'} ${shown}${undeclared.length > 10 ? ', …' : ''} (${which})`);
  }
  const resolved: Record<string, string> = {};
  for (const def of declared) {
    const value = Object.hasOwn(values, def.name) ? values[def.name] : def.default;
    if (value === undefined) continue;
    if (typeof value !== 'string') throw new ValidationError(`params.${def.name}: must be a string`);
    const problem = valueProblem(value);
    if (problem) throw new ValidationError(`params.${def.name}: ${problem}`);
    if (def.choices && !def.choices.includes(value)) {
      throw new ValidationError(`params.${def.name}: ${JSON.stringify(value.slice(0, 200))} is not one of the choices (${describeChoices(def.choices)})`);
    }
    resolved[def.name] = value;
  }
  return resolved;
}

/**
 * The merged configuration with the job's parameter values in its env, over the
 * project's and `.hive.yml`'s values of the same names (theirs is the usual value; a
 * parameter is how one build asks for another). Applied after `.hive.yml` is merged, so
 * a repository cannot override a value the trigger chose. A matrix combination's
 * variables go over these (matrix-expansion.ts): they are the job's identity, shown in
 * its name. Secrets of the same name win on the drone, so a parameter never replaces one.
 */
export function withParamsEnv<C extends { env?: Record<string, string> }>(config: C, params: Readonly<Record<string, string>>): C {
  return Object.keys(params).length > 0 ? { ...config, env: { ...config.env, ...params } } : config;
}
