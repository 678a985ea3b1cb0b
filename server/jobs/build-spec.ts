/**
 * Compiles a job's complete spec from the merged configuration (see merge-config.ts) and
 * what the enabled plugins contributed — pure, so every rule is unit-tested.
 *
 * Commands: each plugin's, in plugin order, then the configuration's own `phases`.
 * Env: the ref's (HIVE_TAG, HIVE_PULL_REQUEST …), plugins' env in order, then the
 * configuration's `env` over them.
 * Image, container options: the last plugin that sets one, then the configuration's
 * `image` over it. Services: plugins' then the configuration's. Labels: all of them.
 */
import type { PhaseContribution, PluginCommand } from '../../plugins/api.ts';
import {
  PHASES, type ContainerOptions, type JobSpec, type JobType, type PhaseName, type SpecCommand, type WorkspaceMode,
} from '../../common/protocol/index.ts';
import type { JobRef } from '../db/schema.ts';
import type { MergedConfig } from './merge-config.ts';
import { DOCKER_LABEL, PRIVILEGED_LABEL } from '../../common/drone-labels.ts';
import { DEFAULT_CONTAINER } from '../../common/container-defaults.ts';
import { refEnv } from '../../common/job-env.ts';
import type { UploadedFile } from '../../common/upload-files.ts';

export interface Contribution {
  plugin: string;
  requiresDrone: boolean;
  contribution: PhaseContribution;
}

export interface SpecInput {
  job: { id: string; number: number; type: JobType };
  /** `workspace` and its caches: the admin's setting (absent: the spec has none, a drone builds fresh). */
  project: { id: string; name: string; repoUrl: string; workspace?: WorkspaceMode; workspaceCaches?: string[] };
  checkout: { sha: string; branch?: string; refspec?: string };
  /** What was triggered: tags and pull requests become env vars commands can read. */
  ref?: JobRef;
  config: MergedConfig;
  contributions: Contribution[];
  defaultTimeoutMs: number;
  /** Files sent with the trigger, which the drone fetches into the workspace. */
  files?: UploadedFile[];
}

const toCommand = (c: PluginCommand): SpecCommand => (typeof c === 'string' ? { run: c } : c.display ? { run: c.run, display: c.display } : { run: c.run });

export function buildJobSpec(input: SpecInput): JobSpec {
  const { config, contributions } = input;
  const phases = Object.fromEntries(PHASES.map((p) => [p, [] as SpecCommand[]])) as Record<PhaseName, SpecCommand[]>;
  let env: Record<string, string> = refEnv(input.ref);
  let secretRefs: Record<string, string> = {};
  let image: string | undefined;
  let container: Partial<ContainerOptions> | undefined;
  const services: NonNullable<JobSpec['services']> = [];
  const labels = new Set<string>(config.labels ?? []);
  const plugins: string[] = [];

  for (const { plugin, requiresDrone, contribution: c } of contributions) {
    for (const phase of PHASES) phases[phase].push(...(c.commands?.[phase] ?? []).map(toCommand));
    env = { ...env, ...c.env };
    secretRefs = { ...secretRefs, ...c.secretEnv };
    if (c.image) image = c.image;
    if (c.container) container = { ...container, ...c.container };
    services.push(...(c.services ?? []));
    for (const l of c.labels ?? []) labels.add(l);
    if (requiresDrone) plugins.push(plugin);
  }
  for (const phase of PHASES) phases[phase].push(...(config.phases?.[phase] ?? []).map((run) => ({ run })));
  env = { ...env, ...config.env };
  if (config.image) image = config.image;
  for (const s of config.services ?? []) services.push({ ...s });

  const spec: JobSpec = {
    jobId: input.job.id,
    projectId: input.project.id,
    projectName: input.project.name,
    number: input.job.number,
    type: input.job.type,
    checkout: { repoUrl: input.project.repoUrl, ...input.checkout },
    env,
    secrets: {},
    phases,
    timeoutMs: config.timeout ? config.timeout * 1000 : input.defaultTimeoutMs,
    requires: { labels: [...labels].sort(), plugins: plugins.sort() },
  };
  if (image) {
    spec.image = image;
    spec.container = { ...DEFAULT_CONTAINER, ...container };
    const needed = [
      // Only drones started with --allow-privileged report this label.
      ...(spec.container.privileged ? [PRIVILEGED_LABEL] : []),
      // A job with an image never runs silently on a drone's host (drone-labels.ts).
      ...(config.processFallback ? [] : [DOCKER_LABEL]),
    ];
    spec.requires.labels = [...new Set([...spec.requires.labels, ...needed])].sort();
  }
  // The admin's setting whatever runs the job (a container mounts the same tree) — except
  // for a fork's pull request, which builds fresh: what it wrote into an incremental
  // tree's caches would reach the project's own later builds, secrets and all.
  if (input.project.workspace) {
    spec.workspace = input.ref?.pullRequest?.fork
      ? { mode: 'fresh', caches: [] }
      : { mode: input.project.workspace, caches: [...(input.project.workspaceCaches ?? [])] };
  }
  if (services.length) spec.services = services;
  if (Object.keys(secretRefs).length) spec.secretRefs = secretRefs;
  if (input.files?.length) spec.files = input.files.map(({ name, size }) => ({ name, size }));
  return spec;
}
