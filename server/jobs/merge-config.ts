/**
 * How the project's settings and the repository's `.hive.yml` combine — every rule in one
 * place (unit-tested rule by rule):
 *
 * 1. Branch sections: within each source, every `branches` glob that matches the built
 *    branch merges its section over that source, in the order written.
 * 2. Repository over project: each phase's command list replaces the project's list for
 *    that phase; `env` merges key by key; `labels` add up (a label narrows which drones
 *    may take the job, so a repository may add one but never drop the project's);
 *    `image`, `timeout` and `services` replace; `retryOnLostDrone` and `processFallback` are the project's alone
 *    (an operator's choice). What else the repository may not change is checked on the
 *    compiled spec (trusted-settings.ts).
 * 3. Plugins merge by name: a repository entry overrides `enabled` and merges its
 *    `config` keys over the project's; new names are appended in the order written.
 */
import { branchGlobMatches } from '../util/branch-glob.ts';
import type { PluginRef } from '../db/schema.ts';
import type { BranchSection, BuildConfig, PluginEntry } from './repo-config.ts';

export interface MergedConfig extends Omit<BuildConfig, 'branches' | 'plugins'> {
  plugins: PluginRef[];
}

/** Merges `over` onto `base` with the repository-over-project rules (2). */
export function mergeSection<T extends BranchSection>(base: T, over: BranchSection): T {
  return {
    ...base,
    ...over,
    phases: { ...base.phases, ...over.phases },
    env: { ...base.env, ...over.env },
    ...(base.labels || over.labels ? { labels: [...new Set([...(base.labels ?? []), ...(over.labels ?? [])])] } : {}),
    plugins: mergePlugins(base.plugins ?? [], over.plugins ?? []),
  };
}

export function applyBranchSections(config: BuildConfig, branch: string | undefined): BuildConfig {
  let result: BuildConfig = { ...config };
  for (const [glob, section] of Object.entries(config.branches ?? {})) {
    if (branchGlobMatches(glob, branch)) result = mergeSection(result, section);
  }
  delete result.branches;
  return result;
}

export function mergePlugins<E extends PluginEntry>(base: readonly E[], over: readonly PluginEntry[]): E[] {
  const merged = base.map((p) => ({ ...p }));
  for (const entry of over) {
    const existing = merged.find((p) => p.name === entry.name);
    if (existing) {
      if (entry.enabled !== undefined) existing.enabled = entry.enabled;
      if (entry.config) existing.config = { ...existing.config, ...entry.config };
    } else {
      merged.push({ ...entry } as E);
    }
  }
  return merged;
}

export function mergeConfigs(
  project: { config: BuildConfig; plugins: PluginRef[] },
  repo: BuildConfig | undefined,
  branch: string | undefined,
): MergedConfig {
  const fromProject = applyBranchSections(project.config, branch);
  const fromRepo = repo ? applyBranchSections(repo, branch) : {};
  // What only the project's admins decide: a repository cannot take it up or down.
  const { retryOnLostDrone: _ignored, processFallback: _alsoIgnored, ...repoFields } = fromRepo;
  const merged = mergeSection({ ...fromProject, plugins: [] }, { ...repoFields, plugins: [] });
  const plugins = mergePlugins(
    mergePlugins(project.plugins, fromProject.plugins ?? []),
    fromRepo.plugins ?? [],
  ).map((p) => ({ name: p.name, enabled: p.enabled ?? true, config: p.config ?? {} }));
  const { plugins: _p, ...rest } = merged;
  return { ...rest, retryOnLostDrone: project.config.retryOnLostDrone, processFallback: project.config.processFallback, plugins };
}
