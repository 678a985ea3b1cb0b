/**
 * Turns queued jobs into runnable ones: fetches the repository, pins the exact commit,
 * reads `.hive.yml` there and compiles the spec. Runs after the trigger has been
 * answered, so triggers return in milliseconds. A job whose resolution fails ends
 * `errored` with the reason in words (unreachable repository, unknown branch, bad YAML).
 */
import type { SecretBox } from '../auth/secret-box.ts';
import type { Db } from '../db/client.ts';
import { listUnresolvedJobs, type Job } from '../db/jobs.ts';
import { findProject } from '../db/projects.ts';
import { HiveError, ResolveError } from '../errors.ts';
import { GitHostError } from '../git/mirror-host-client.ts';
import type { Mirrors } from '../git/mirror-host-protocol.ts';
import type { Logger } from '../logger.ts';
import { CoalescedLoop } from '../util/coalesced-loop.ts';
import type { PluginRegistry } from '../../plugins/loader.ts';
import { buildJobSpec } from './build-spec.ts';
import { withParamsEnv } from './job-params.ts';
import { uploadedFiles } from './job-uploads.ts';
import { mergeConfigs } from './merge-config.ts';
import { expandMatrix, planMatrix, withMatrixEnv } from './matrix-expansion.ts';
import { pinJobCommit } from './run-commit.ts';
import { collectContributions } from './plugin-phases.ts';
import { pluginJobView } from './plugin-views.ts';
import type { JobLifecycle } from './job-lifecycle.ts';
import { resolveJobPlugins } from './plugin-host.ts';
import { openCredentials } from './project-secrets.ts';
import { parseBuildConfig, parseHiveYml, type BuildConfig } from './repo-config.ts';
import { describeViolations, trustViolations } from './trusted-settings.ts';

export interface ResolverDeps {
  db: Db;
  mirrors: Mirrors;
  /** Opens a private repository's clone credentials for the queen's own fetch. */
  secretBox: SecretBox;
  lifecycle: JobLifecycle;
  log: Logger;
  defaultTimeoutMs: number;
  plugins: PluginRegistry;
  publicUrl: string;
}

const PAGE = 50;
/** A job is resolved again after a git host failure this many times, then ends errored. */
const MAX_HOST_FAILURES = 3;
const HOST_RETRY_MS = 500;
const PARALLEL = 4;

export class SpecResolver {
  readonly #loop: CoalescedLoop;
  readonly #inFlight = new Set<string>();
  /** Jobs whose resolution failed because the git host died, and how often. */
  readonly #hostFailures = new Map<string, number>();

  constructor(private readonly deps: ResolverDeps) {
    this.#loop = new CoalescedLoop(() => this.#round(), (err) => deps.log.error({ err }, 'resolution round failed'));
    deps.lifecycle.on('created', () => this.kick());
  }

  kick(): void {
    this.#loop.kick();
  }

  /** Whether a job whose resolution hit a git host failure gets another try (a few at most). */
  #retryLater(jobId: string): boolean {
    const failures = (this.#hostFailures.get(jobId) ?? 0) + 1;
    if (failures > MAX_HOST_FAILURES) {
      this.#hostFailures.delete(jobId);
      return false;
    }
    this.#hostFailures.set(jobId, failures);
    setTimeout(() => this.kick(), HOST_RETRY_MS * failures).unref();
    return true;
  }

  settled(): Promise<void> {
    return this.#loop.settled();
  }

  stop(): Promise<void> {
    return this.#loop.stop();
  }

  async #round(): Promise<boolean> {
    const pending = (await listUnresolvedJobs(this.deps.db, PAGE)).filter((j) => !this.#inFlight.has(j.id));
    // A few at once: different repositories fetch in parallel, one repository in turn.
    for (let i = 0; i < pending.length; i += PARALLEL) {
      await Promise.all(pending.slice(i, i + PARALLEL).map((job) => this.#resolveOne(job)));
    }
    return pending.length === PAGE;
  }

  async #resolveOne(job: Job): Promise<void> {
    this.#inFlight.add(job.id);
    try {
      const project = await findProject(this.deps.db, job.projectId);
      if (!project) return; // deleted meanwhile; its jobs went with it
      const credentials = openCredentials(this.deps.secretBox, project);
      // A run's jobs all build the commit the first of them pinned (run-commit.ts).
      const { sha, refspec, note } = await pinJobCommit(this.deps, project.repoUrl, job, credentials);
      if (note) this.deps.log.info({ jobId: job.id, note }, 'pull request ref fallback');
      const yml = await this.deps.mirrors.readFile(project.repoUrl, sha, '.hive.yml');
      const repoConfig = yml === undefined ? undefined : parseHiveYml(yml);
      // The combination this job builds, and the jobs a matrix brings along (matrix-expansion.ts).
      const matrix = planMatrix(job, repoConfig?.matrix);
      const files = await uploadedFiles(this.deps.db, job);
      const compile = async (repo: BuildConfig | undefined) => {
        const config = withMatrixEnv(withParamsEnv(mergeConfigs(
          { config: parseBuildConfig(project.config, 'project config'), plugins: project.plugins },
          repo,
          // A pull request builds for its target branch: its branch sections apply.
          job.ref.branch ?? job.ref.pullRequest?.baseBranch,
        ), job.params), matrix.combination);
        const plugins = resolveJobPlugins(this.deps.plugins, config.plugins);
        const contributions = await collectContributions(
          this.deps.plugins, plugins, { job: pluginJobView(job, this.deps.publicUrl), project }, this.deps.log,
        );
        const spec = buildJobSpec({
          job,
          project,
          checkout: { sha, branch: job.ref.branch, refspec },
          ref: job.ref,
          config,
          contributions,
          defaultTimeoutMs: this.deps.defaultTimeoutMs,
          files,
        });
        return { spec, plugins };
      };
      const { spec, plugins } = await compile(repoConfig);
      // What the repository asked for beyond the admin's settings (trusted-settings.ts).
      const fork = !!job.ref.pullRequest?.fork;
      const admin = repoConfig && (fork || !project.trusted) ? await compile(undefined) : undefined;
      if (admin) {
        const violations = trustViolations(admin.spec, spec);
        if (violations.length > 0) throw new ResolveError(describeViolations(violations, fork));
      }
      // A fork's .hive.yml shapes the commands its drone runs, never what the queen itself
      // does: its hooks (requests the queen makes, notifications) are the project's own.
      const hookPlugins = fork && admin ? admin.plugins : plugins;
      this.#hostFailures.delete(job.id);
      const pinned = { ...job.ref, sha, ...(refspec && { refspec }) };
      // Only now, with a spec that compiled, are the matrix's other jobs queued.
      if (!(await expandMatrix(this.deps.lifecycle, job, matrix, pinned))) return;
      if (await this.deps.lifecycle.resolved(job.id, spec, pinned, hookPlugins)) {
        this.deps.log.info({ jobId: job.id, sha }, 'job resolved');
      }
    } catch (err) {
      if (err instanceof GitHostError && this.#retryLater(job.id)) {
        // The queen's own git process died, not the job's repository: try again shortly.
        this.deps.log.warn({ jobId: job.id, err }, 'git host failed during resolution; retrying');
        return;
      }
      this.#hostFailures.delete(job.id);
      const message = err instanceof HiveError ? err.message : `Resolving the job failed: ${String(err)}`;
      this.deps.log.warn({ jobId: job.id, err }, 'job resolution failed');
      await this.deps.lifecycle.finish(job.id, 'errored', message, { from: ['queued'] }).catch((e) => {
        this.deps.log.error({ err: e, jobId: job.id }, 'could not mark job errored');
      });
    } finally {
      this.#inFlight.delete(job.id);
    }
  }
}
