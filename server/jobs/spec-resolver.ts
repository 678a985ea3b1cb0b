/**
 * Turns queued jobs into runnable ones: fetches the repository, pins the exact commit,
 * reads `.hive.yml` there and compiles the spec. Runs after the trigger has been
 * answered, so triggers return in milliseconds. A job whose resolution fails ends
 * `errored` with the reason in words (unreachable repository, unknown branch, bad YAML).
 *
 * Jobs resolve in a pool (server/util/keyed-pool.ts): a few at once, each starting as soon
 * as a slot is free, one at a time per repository. A repository whose server hangs holds
 * its own jobs and one slot until its fetch times out (common/git/remote-git.ts); the
 * other repositories' jobs resolve meanwhile.
 */
import type { SecretBox } from '../auth/secret-box.ts';
import type { Db } from '../db/client.ts';
import { findJob, type Job } from '../db/jobs.ts';
import { findProject } from '../db/projects.ts';
import { listUnresolvedJobsAfter, type UnresolvedCursor } from '../db/unresolved-jobs.ts';
import { HiveError, ResolveError } from '../errors.ts';
import { BranchTips } from '../git/branch-tips.ts';
import { GitHostError } from '../git/mirror-host-client.ts';
import { MAX_CONFIG_BYTES, type Mirrors } from '../git/mirror-host-protocol.ts';
import type { Logger } from '../logger.ts';
import { CoalescedLoop } from '../util/coalesced-loop.ts';
import { KeyedPool } from '../util/keyed-pool.ts';
import type { PluginRegistry } from '../../plugins/loader.ts';
import { buildJobSpec } from './build-spec.ts';
import { withParamsEnv } from './job-params.ts';
import { uploadedFiles } from './job-uploads.ts';
import { mergeConfigs } from './merge-config.ts';
import { expandMatrix, planMatrix, withMatrixEnv } from './matrix-expansion.ts';
import { ForgeConfigReader } from './forge-config.ts';
import { pinJobCommit } from './run-commit.ts';
import { collectContributions } from './plugin-phases.ts';
import { pluginJobView } from './plugin-views.ts';
import type { JobLifecycle } from './job-lifecycle.ts';
import type { Resolution } from '../scheduler/dispatcher.ts';
import { resolveJobPlugins } from './plugin-host.ts';
import { openCredentials } from './project-secrets.ts';
import { openPluginSecrets, sealPluginSecrets } from './sealed-plugin-config.ts';
import { secretLeavesOf } from './plugin-secret-fields.ts';
import { checkContributions, separatePluginSecrets } from './plugin-secret-spec.ts';
import { parseBuildConfig, parseHiveYml, type BuildConfig } from './repo-config.ts';
import { describeViolations, trustViolations } from './trusted-settings.ts';

export interface ResolverDeps {
  db: Db;
  mirrors: Mirrors;
  /** Opens a private repository's clone credentials for the queen's own fetch. */
  secretBox: SecretBox;
  lifecycle: JobLifecycle;
  /**
   * Stores a job's resolution — claiming it for a free drone at once when nothing is ahead
   * of it (the dispatcher's `place`). Returns whether it was stored.
   */
  place(resolution: Resolution): Promise<boolean>;
  log: Logger;
  defaultTimeoutMs: number;
  plugins: PluginRegistry;
  publicUrl: string;
  /** Jobs held in the pool at most (MAX_TRACKED); a test gives fewer, to need a smaller backlog beyond it. */
  poolLimit?: number;
}

const PAGE = 50;
/** A forge API that has not answered by then is given up, and the commit fetched with git. */
const FORGE_API_TIMEOUT_MS = 10_000;
/** A job is resolved again after a git host failure this many times, then ends errored. */
const MAX_HOST_FAILURES = 3;
const HOST_RETRY_MS = 500;
/** Jobs resolving at once (of different repositories). */
const PARALLEL = 4;
/** Jobs held in the pool at most; beyond it, the rest are listed once some are done. */
const MAX_TRACKED = 500;
/** A job whose resolution starts within this long of being taken is resolved from the row taken (see #resolveTaken). */
const TAKEN_ROW_FRESH_MS = 1_000;

export class SpecResolver {
  readonly #loop: CoalescedLoop;
  readonly #pool: KeyedPool;
  /** Jobs waiting in the pool or resolving. */
  readonly #inFlight = new Set<string>();
  /** The last round stopped listing at the pool's limit: list again as the pool drains. */
  #truncated = false;
  /**
   * Where that round stopped: a round asked for because the pool drained goes on from
   * there (every job before it is resolved or in the pool), instead of paging through the
   * hundreds in the pool again for each job resolved. A job created since starts a round
   * from the beginning.
   */
  #resumeAfter?: UnresolvedCursor;
  readonly #poolLimit: number;
  #fromStart = true;
  /** Jobs whose resolution failed because the git host died, and how often. */
  readonly #hostFailures = new Map<string, number>();
  readonly #forgeConfig: ForgeConfigReader;
  /** A branch's tip shared by the jobs taken before its lookup began (git/branch-tips.ts). */
  readonly #branchTips: BranchTips;

  constructor(private readonly deps: ResolverDeps) {
    this.#poolLimit = deps.poolLimit ?? MAX_TRACKED;
    this.#branchTips = new BranchTips(deps.mirrors);
    this.#forgeConfig = new ForgeConfigReader({ secretBox: deps.secretBox, log: deps.log, maxBytes: MAX_CONFIG_BYTES, timeoutMs: FORGE_API_TIMEOUT_MS });
    this.#loop = new CoalescedLoop(() => this.#round(), (err) => deps.log.error({ err }, 'resolution round failed'));
    this.#pool = new KeyedPool(PARALLEL, (err) => deps.log.error({ err }, 'resolving a job failed'));
    deps.lifecycle.on('created', (job, repoUrl) => (repoUrl ? this.#offer(job, repoUrl) : this.kick()));
  }

  /**
   * A job just created here, with its repository: into the pool without listing it (a
   * query less per job). Beyond the pool's limit it is left to a listing, as any job is.
   */
  #offer(job: Job, repoUrl: string): void {
    if (this.#inFlight.has(job.id)) return;
    if (this.#inFlight.size >= this.#poolLimit) return this.kick();
    this.#inFlight.add(job.id);
    // Taken now, not when its turn comes: a job that waits behind its repository's others
    // is read again when it starts (#resolveTaken), and a branch tip looked up meanwhile answers it.
    const offeredAt = performance.now();
    this.#pool.add(repoUrl, () => this.#resolveTaken(job, offeredAt));
  }

  kick(): void {
    this.#fromStart = true;
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

  /** Resolves once every job known so far is resolved (or failed), including jobs they queued. */
  async settled(): Promise<void> {
    do {
      await this.#loop.settled();
      await this.#pool.idle();
      await this.#loop.settled();
    } while (this.#pool.size > 0);
  }

  /**
   * Stops listing and drops the jobs not started (they stay queued for the next start);
   * resolutions in progress end when the git host stops (queen.ts stops both at once).
   */
  async stop(): Promise<void> {
    await this.#loop.stop();
    this.#pool.clear();
    await this.#pool.idle();
  }

  /** Puts every unresolved job not yet known into the pool, keyed by its repository. */
  async #round(): Promise<boolean> {
    let after = this.#fromStart ? undefined : this.#resumeAfter;
    this.#fromStart = false;
    this.#truncated = false;
    this.#resumeAfter = undefined;
    for (;;) {
      if (this.#inFlight.size >= this.#poolLimit) {
        this.#truncated = true;
        this.#resumeAfter = after;
        return false;
      }
      const page = await listUnresolvedJobsAfter(this.deps.db, after, PAGE);
      const listedAt = performance.now();
      for (const { job, repoUrl } of page) {
        if (this.#inFlight.has(job.id)) continue;
        this.#inFlight.add(job.id);
        this.#pool.add(repoUrl, () => this.#resolveTaken(job, listedAt));
      }
      if (page.length < PAGE) return false;
      const last = page[page.length - 1].job;
      after = { createdAt: last.createdAt, id: last.id };
    }
  }

  /**
   * Resolves a job taken into the pool (from a listing, or offered as it was created), if
   * it still waits for its spec. The row taken is used as it is when its resolution starts
   * at once; one that waited in the pool (behind its repository's other jobs) is read
   * again, so a job cancelled meanwhile costs no fetch. Either way the spec is written
   * only if the job is still queued and unresolved.
   */
  async #resolveTaken(taken: Job, takenAt: number): Promise<void> {
    try {
      const job = performance.now() - takenAt < TAKEN_ROW_FRESH_MS ? taken : await findJob(this.deps.db, taken.id);
      if (job && job.status === 'queued' && !job.spec) await this.#resolveOne(job, takenAt);
    } finally {
      this.#inFlight.delete(taken.id);
      if (this.#truncated) this.#loop.kick(); // on from where the listing stopped
    }
  }

  /** `takenAt`: when the job was listed or offered (`performance.now()`), after its trigger. */
  async #resolveOne(job: Job, takenAt: number): Promise<void> {
    this.#inFlight.add(job.id);
    try {
      const project = await findProject(this.deps.db, job.projectId);
      if (!project) return; // deleted meanwhile; its jobs went with it
      // A pushed commit's .hive.yml through the forge's API when it can say (forge-config.ts);
      // otherwise the commit is pinned with git, a run's jobs all building the commit the
      // first of them pinned (run-commit.ts), and the file read from the mirror.
      const viaForge = await this.#forgeConfig.read(project, job);
      let sha: string;
      let refspec: string | undefined;
      let yml: string | undefined;
      if (viaForge) {
        ({ sha, yml } = viaForge);
      } else {
        const credentials = openCredentials(this.deps.secretBox, project);
        const mirrors = this.#branchTips.forJobTakenAt(takenAt);
        const pinned = await pinJobCommit({ db: this.deps.db, mirrors }, project.repoUrl, job, credentials);
        ({ sha, refspec } = pinned);
        if (pinned.note) this.deps.log.info({ jobId: job.id, note: pinned.note }, 'pull request ref fallback');
        yml = await this.deps.mirrors.readFile(project.repoUrl, sha, '.hive.yml');
      }
      const repoConfig = yml === undefined ? undefined : parseHiveYml(yml);
      // The combination this job builds, and the jobs a matrix brings along (matrix-expansion.ts).
      const matrix = planMatrix(job, repoConfig?.matrix);
      const files = await uploadedFiles(this.deps.db, job);
      // Secret plugin fields are sealed at rest; the plugins get their values (sealed-plugin-config.ts).
      const projectPlugins = openPluginSecrets(this.deps.secretBox, project.plugins);
      const compile = async (repo: BuildConfig | undefined) => {
        const config = withMatrixEnv(withParamsEnv(mergeConfigs(
          { config: parseBuildConfig(project.config, 'project config'), plugins: projectPlugins },
          repo,
          // A pull request builds for its target branch: its branch sections apply.
          job.ref.branch ?? job.ref.pullRequest?.baseBranch,
        ), job.params), matrix.combination);
        const plugins = resolveJobPlugins(this.deps.plugins, config.plugins);
        const contributions = await collectContributions(
          this.deps.plugins, plugins, { job: pluginJobView(job, this.deps.publicUrl), project }, this.deps.log,
        );
        const leaves = secretLeavesOf(this.deps.plugins, plugins);
        checkContributions(contributions, leaves);
        const compiled = buildJobSpec({
          job,
          project,
          checkout: { sha, branch: job.ref.branch, refspec },
          ref: job.ref,
          config,
          contributions,
          defaultTimeoutMs: this.deps.defaultTimeoutMs,
          files,
        });
        // Secret plugin values leave the stored spec: env vars become references (plugin-secret-spec.ts).
        const spec = separatePluginSecrets(compiled, leaves);
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
      const storedPlugins = sealPluginSecrets(this.deps.secretBox, this.deps.plugins, hookPlugins);
      if (await this.deps.place({ jobId: job.id, spec, ref: pinned, plugins: storedPlugins, maxConcurrent: project.maxConcurrent })) {
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
