/**
 * Runs plugins' queen-side hooks (`job:queued`, `job:started`, `job:done`) for the
 * plugins the job was resolved with (`jobs.plugins`, see plugin-host.ts) — a job not yet
 * resolved has none, so `job:queued` runs the project's enabled plugins as they are now.
 * Hooks run beside the build, never in its way: each is bounded by its timeout, and a
 * hook that throws or hangs is logged and forgotten — it never changes the job.
 */
import type { HookName } from '../../plugins/api.ts';
import type { PluginRegistry } from '../../plugins/loader.ts';
import type { Db } from '../db/client.ts';
import type { Job } from '../db/jobs.ts';
import { findProject } from '../db/projects.ts';
import type { Logger } from '../logger.ts';
import { FINAL_STATUSES } from '../../common/protocol/index.ts';
import type { LiveBus } from './live-bus.ts';
import { pluginJobView } from './plugin-views.ts';
import { loadedPlugin, resolveJobPlugins } from './plugin-host.ts';
import type { JobPlugin, PluginRef } from '../db/schema.ts';
import { pluginLogger, withTimeout } from './plugin-runtime.ts';
import type { SecretBox } from '../auth/secret-box.ts';
import { openPluginSecrets } from './sealed-plugin-config.ts';
import { pluginRedactor, redactDeep } from './plugin-redaction.ts';

const DEFAULT_HOOK_TIMEOUT_MS = 10_000;
/** How many (job, hook) pairs are remembered to run each hook once per job and attempt. */
const REMEMBERED = 10_000;

function hookFor(job: Job): HookName | undefined {
  if (job.status === 'queued') return 'job:queued';
  if (job.status === 'running') return 'job:started';
  if ((FINAL_STATUSES as readonly string[]).includes(job.status)) return 'job:done';
  return undefined;
}

export class PluginHooks {
  readonly #seen = new Set<string>();
  readonly #running = new Set<Promise<void>>();
  readonly #listener = (job: Job) => this.#onStatus(job);

  /** `secretBox` opens the secret fields of the plugins' stored configs (sealed-plugin-config.ts). */
  constructor(private readonly deps: { db: Db; bus: LiveBus; plugins: PluginRegistry; log: Logger; publicUrl: string; secretBox: SecretBox }) {
    deps.bus.on('job-status', this.#listener);
  }

  /** Stops listening and waits for the hooks still running (each is bounded by its timeout). */
  async stop(): Promise<void> {
    this.deps.bus.off('job-status', this.#listener);
    await Promise.all([...this.#running]);
  }

  /** Resolves when every hook started so far has ended (tests). */
  async settled(): Promise<void> {
    while (this.#running.size > 0) await Promise.all([...this.#running]);
  }

  #onStatus(job: Job): void {
    const hook = hookFor(job);
    if (!hook) return;
    const key = `${job.id}:${job.attempt}:${hook}`;
    if (this.#seen.has(key)) return;
    this.#seen.add(key);
    if (this.#seen.size > REMEMBERED) this.#seen.delete(this.#seen.values().next().value!);
    const run = this.#run(job, hook).finally(() => this.#running.delete(run));
    this.#running.add(run);
  }

  async #run(job: Job, hook: HookName): Promise<void> {
    const { db, plugins, log } = this.deps;
    try {
      // The project is read only when a plugin can have this hook: a resolved job names its
      // plugins, an unresolved one takes the project's, which are among those loaded.
      const candidates = job.spec ? job.plugins.map((entry) => loadedPlugin(plugins, entry)) : plugins.list().map((p) => p.plugin);
      if (!candidates.some((plugin) => plugin?.hooks?.[hook])) return;
      const project = await findProject(db, job.projectId);
      if (!project) return;
      for (const entry of this.#pluginsOf(job, project.plugins)) {
        const plugin = loadedPlugin(plugins, entry);
        const fn = plugin?.hooks?.[hook];
        if (!plugin || !fn) continue;
        const ms = plugin.hookTimeoutMs ?? DEFAULT_HOOK_TIMEOUT_MS;
        // What the hook logs or throws may hold its secret values (webhook-notify's URL).
        const redactor = pluginRedactor(plugins, entry);
        const ctx = {
          config: entry.config,
          job: pluginJobView(job, this.deps.publicUrl),
          project: { id: project.id, name: project.name, repoUrl: project.repoUrl },
          log: pluginLogger(log, entry.name, redactor),
        };
        try {
          await withTimeout(Promise.resolve().then(() => fn(ctx)), ms, `hook ${hook} of plugin "${entry.name}" ran past ${ms} ms`);
        } catch (err) {
          log.warn({ plugin: entry.name, jobId: job.id, hook, err: redactDeep(err, redactor) }, 'plugin hook failed; the build is not affected');
        }
      }
    } catch (err) {
      log.error({ err, jobId: job.id, hook }, 'running plugin hooks failed');
    }
  }

  /**
   * The plugins whose hooks a job runs: those it was resolved with; before resolution
   * (`job:queued`, or a job that never resolved) the project's enabled plugins whose
   * config is valid now.
   */
  #pluginsOf(job: Job, projectPlugins: PluginRef[]): JobPlugin[] {
    const box = this.deps.secretBox;
    if (job.spec) return openPluginSecrets(box, job.plugins);
    return openPluginSecrets(box, projectPlugins).filter((p) => p.enabled).flatMap((ref) => {
      try {
        return resolveJobPlugins(this.deps.plugins, [ref]);
      } catch {
        this.deps.log.warn({ plugin: ref.name, jobId: job.id }, 'skipping hooks: the plugin is missing or its config is invalid');
        return [];
      }
    });
  }
}
