/**
 * The plugin contract. A plugin is an npm package (or a built-in folder) whose default
 * export is `definePlugin({...})`. Plugins run on the queen only:
 *
 * - `phases(ctx)` runs when a job's configuration is resolved and returns what the plugin
 *   contributes: commands per phase, env, and optionally the image, container options,
 *   services and drone labels. Plugins contribute in the order the project lists them.
 * - `hooks` react to job events (`job:queued`, `job:started`, `job:done`) — notifications,
 *   statuses. A hook that throws or runs past `hookTimeoutMs` is logged and never changes
 *   the build.
 *
 * Plugins get a narrow context (their validated config, the job, a logger), never the
 * database or the queen's secrets.
 *
 * @example
 * ```ts
 * import { z } from 'zod';
 * import { definePlugin } from 'hive-ci/plugins/api.ts';
 *
 * export default definePlugin({
 *   name: 'hive-plugin-make',
 *   version: '1.0.0',
 *   description: 'Runs make targets',
 *   configSchema: z.object({ target: z.string().default('test') }),
 *   phases: ({ config }) => ({ commands: { test: [`make ${config.target}`] } }),
 *   hooks: {
 *     'job:done': async ({ job, log }) => log.info(`job ${job.number} ended ${job.status}`),
 *   },
 * });
 * ```
 */
import type { z } from 'zod';
import type { ContainerOptions, JobType, PhaseName, ServiceSpec } from '../common/protocol/index.ts';

export type { PhaseName } from '../common/protocol/index.ts';

export interface PluginLogger {
  info(message: string, details?: Record<string, unknown>): void;
  warn(message: string, details?: Record<string, unknown>): void;
  error(message: string, details?: Record<string, unknown>): void;
}

/** What a plugin knows of the job it works for. */
export interface PluginJob {
  id: string;
  number: number;
  type: JobType;
  status: string;
  message?: string | null;
  ref: {
    branch?: string;
    sha?: string;
    tag?: string;
    pullRequest?: { number: number; baseBranch: string; fork?: boolean };
  };
  trigger: { source: { type: string; provider?: string }; author?: { name?: string; username?: string }; message?: string };
  /** Absolute URL of the job's page. */
  url: string;
  startedAt?: string | null;
  finishedAt?: string | null;
  durationMs?: number | null;
}

export interface PluginProject {
  id: string;
  name: string;
  repoUrl: string;
}

export interface PluginContext<C> {
  config: C;
  job: PluginJob;
  project: PluginProject;
  log: PluginLogger;
}

/** A command as plugins write it: the shell text, or text plus what users see. */
export type PluginCommand = string | { run: string; display?: string };

export interface PhaseContribution {
  commands?: Partial<Record<PhaseName, PluginCommand[]>>;
  env?: Record<string, string>;
  /** Env vars filled from project secrets at run time: env name → secret name. */
  secretEnv?: Record<string, string>;
  /** The job's container image (the last plugin to set it wins). */
  image?: string;
  container?: Partial<ContainerOptions>;
  services?: ServiceSpec[];
  /** Drone labels the job needs (e.g. `docker`). */
  labels?: string[];
}

export type HookName = 'job:queued' | 'job:started' | 'job:done';

export interface HivePlugin<S extends z.ZodType = z.ZodType> {
  /** The npm package name (or the built-in's folder name). */
  name: string;
  version: string;
  description?: string;
  /** The plugin's per-project config; the UI renders a form from it. */
  configSchema: S;
  /** Whether drones must report this plugin as installed to take jobs using it. */
  requiresDrone?: boolean;
  phases?: (ctx: PluginContext<z.output<S>>) => PhaseContribution | Promise<PhaseContribution>;
  hooks?: Partial<Record<HookName, (ctx: PluginContext<z.output<S>>) => void | Promise<void>>>;
  /** How long a hook may run before it is abandoned (default 10 s). */
  hookTimeoutMs?: number;
}

/** Declares a plugin; an identity function that gives plugin authors full typing. */
export function definePlugin<S extends z.ZodType>(plugin: HivePlugin<S>): HivePlugin<S> {
  return plugin;
}
