/**
 * Asks each enabled plugin of a job what it contributes. A plugin's config is validated
 * against its schema first; an unknown plugin, invalid config, a `phases` that throws or
 * hangs all end the job's resolution with a `ResolveError` naming the plugin — the job
 * ends `errored` with that message, and the queen carries on.
 */
import type { PluginContext, PluginJob, PluginProject } from '../../plugins/api.ts';
import type { PluginRegistry } from '../../plugins/loader.ts';
import type { PluginRef } from '../db/schema.ts';
import { ResolveError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import type { Contribution } from './build-spec.ts';
import { describeZodError } from './repo-config.ts';
import { pluginLogger, withTimeout } from './plugin-runtime.ts';

const PHASES_TIMEOUT_MS = 10_000;

export async function collectContributions(
  registry: PluginRegistry,
  plugins: PluginRef[],
  target: { job: PluginJob; project: PluginProject },
  log: Logger,
): Promise<Contribution[]> {
  const out: Contribution[] = [];
  for (const ref of plugins) {
    if (!ref.enabled) continue;
    const loaded = registry.get(ref.name);
    if (!loaded) {
      const failure = registry.failures.find((f) => f.name === ref.name);
      throw new ResolveError(`Plugin "${ref.name}" is not available${failure ? `: it failed to load (${failure.error})` : ' on this queen (add it to HIVE_PLUGINS)'}`);
    }
    const parsed = loaded.plugin.configSchema.safeParse(ref.config ?? {});
    if (!parsed.success) {
      throw new ResolveError(`Invalid config for plugin "${ref.name}": ${describeZodError(parsed.error, 'config.')}`);
    }
    if (!loaded.plugin.phases) continue;
    const ctx: PluginContext<unknown> = { config: parsed.data, ...target, log: pluginLogger(log, ref.name) };
    try {
      const contribution = await withTimeout(Promise.resolve(loaded.plugin.phases(ctx)), PHASES_TIMEOUT_MS, `plugin "${ref.name}" did not answer within ${PHASES_TIMEOUT_MS} ms`);
      out.push({ plugin: ref.name, requiresDrone: !!loaded.plugin.requiresDrone, contribution: contribution ?? {} });
    } catch (err) {
      throw new ResolveError(`Plugin "${ref.name}" failed to prepare the job: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
  }
  return out;
}
