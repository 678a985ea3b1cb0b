/**
 * Compiles a job's complete spec from the project's settings and the repository's
 * `.hive.yml` — the one place where configuration is resolved, so plugins can slot in.
 *
 * Merge rules (repository over project): each phase's command list in `.hive.yml`
 * replaces the project's list for that phase; `env` merges key by key; `image`,
 * `timeout` and `labels` replace.
 */
import { PHASES, type JobSpec, type JobType, type PhaseName, type SpecCommand } from '../protocol/index.ts';
import type { BuildConfig } from './repo-config.ts';

export interface SpecInput {
  job: { id: string; number: number; type: JobType };
  project: { id: string; name: string; repoUrl: string };
  checkout: { sha: string; branch?: string; refspec?: string };
  projectConfig: BuildConfig;
  repoConfig?: BuildConfig;
  defaultTimeoutMs: number;
}

export function mergeBuildConfig(project: BuildConfig, repo: BuildConfig | undefined): BuildConfig {
  if (!repo) return project;
  return {
    ...project,
    ...repo,
    phases: { ...project.phases, ...repo.phases },
    env: { ...project.env, ...repo.env },
  };
}

export function buildJobSpec(input: SpecInput): JobSpec {
  const config = mergeBuildConfig(input.projectConfig, input.repoConfig);
  const phases = Object.fromEntries(
    PHASES.map((phase) => [phase, (config.phases?.[phase] ?? []).map((run): SpecCommand => ({ run }))]),
  ) as Record<PhaseName, SpecCommand[]>;
  const spec: JobSpec = {
    jobId: input.job.id,
    projectId: input.project.id,
    projectName: input.project.name,
    number: input.job.number,
    type: input.job.type,
    checkout: { repoUrl: input.project.repoUrl, ...input.checkout },
    env: config.env ?? {},
    secrets: {},
    phases,
    timeoutMs: config.timeout ? config.timeout * 1000 : input.defaultTimeoutMs,
    requires: { labels: config.labels ?? [], plugins: [] },
  };
  if (config.image) spec.image = config.image;
  return spec;
}
