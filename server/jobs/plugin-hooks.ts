/**
 * Runs plugins' queen-side hooks (`job:queued`, `job:started`, `job:done`) for the
 * plugins enabled in a job's project. Hooks run beside the build, never in its way: each
 * is bounded by its timeout, and a hook that throws or hangs is logged and forgotten —
 * it never changes the job.
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
import { pluginLogger, withTimeout } from './plugin-runtime.ts';

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

  constructor(private readonly deps: { db: Db; bus: LiveBus; plugins: PluginRegistry; log: Logger; publicUrl: string }) {
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
      const project = await findProject(db, job.projectId);
      if (!project) return;
      for (const ref of project.plugins) {
        const loaded = ref.enabled ? plugins.get(ref.name) : undefined;
        const fn = loaded?.plugin.hooks?.[hook];
        if (!loaded || !fn) continue;
        const parsed = loaded.plugin.configSchema.safeParse(ref.config ?? {});
        if (!parsed.success) {
          log.warn({ plugin: ref.name, jobId: job.id, hook }, 'skipping hook: the plugin config is invalid');
          continue;
        }
        const ms = loaded.plugin.hookTimeoutMs ?? DEFAULT_HOOK_TIMEOUT_MS;
        const ctx = {
          config: parsed.data,
          job: pluginJobView(job, this.deps.publicUrl),
          project: { id: project.id, name: project.name, repoUrl: project.repoUrl },
          log: pluginLogger(log, ref.name),
        };
        try {
          await withTimeout(Promise.resolve().then(() => fn(ctx)), ms, `hook ${hook} of plugin "${ref.name}" ran past ${ms} ms`);
        } catch (err) {
          log.warn({ plugin: ref.name, jobId: job.id, hook, err }, 'plugin hook failed; the build is not affected');
        }
      }
    } catch (err) {
      log.error({ err, jobId: job.id, hook }, 'running plugin hooks failed');
    }
  }
}
