/**
 * Asks each plugin of a job (validated by plugin-host.ts) what it contributes. A `phases`
 * that throws or hangs ends the job's resolution with a `ResolveError` naming the plugin —
 * the job ends `errored` with that message, and the queen carries on.
 */
import type { PluginContext, PluginJob, PluginProject } from '../../plugins/api.ts';
import type { PluginRegistry } from '../../plugins/loader.ts';
import type { JobPlugin } from '../db/schema.ts';
import { ResolveError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import type { Contribution } from './build-spec.ts';
import { loadedPlugin } from './plugin-host.ts';
import { pluginLogger, withTimeout } from './plugin-runtime.ts';
import { pluginRedactor, redactDeep, redactedMessage } from './plugin-redaction.ts';

const PHASES_TIMEOUT_MS = 10_000;

export async function collectContributions(
  registry: PluginRegistry,
  plugins: JobPlugin[],
  target: { job: PluginJob; project: PluginProject },
  log: Logger,
): Promise<Contribution[]> {
  const out: Contribution[] = [];
  for (const entry of plugins) {
    const plugin = loadedPlugin(registry, entry);
    if (!plugin?.phases) continue;
    // Its error becomes the job's message and a log line: without its secret values.
    const redactor = pluginRedactor(registry, entry);
    const ctx: PluginContext<unknown> = { config: entry.config, ...target, log: pluginLogger(log, entry.name, redactor) };
    try {
      const contribution = await withTimeout(Promise.resolve(plugin.phases(ctx)), PHASES_TIMEOUT_MS, `plugin "${entry.name}" did not answer within ${PHASES_TIMEOUT_MS} ms`);
      out.push({ plugin: entry.name, requiresDrone: !!plugin.requiresDrone, contribution: contribution ?? {} });
    } catch (err) {
      throw new ResolveError(`Plugin "${entry.name}" failed to prepare the job: ${redactedMessage(err, redactor)}`, { cause: redactDeep(err, redactor) });
    }
  }
  return out;
}
