/**
 * Gets the exact commit of a job into a clean per-job workspace.
 *
 * Each repository has a bare cache under `<dataDir>/repos/<hash of the URL>`, created
 * once and updated with `git fetch --prune` for every job whose commit this drone has not
 * fetched with the job's credentials before (known-commits.ts), so a job downloads only
 * what is new. Only the refs the job needs are fetched (its branch and its `refspec`, e.g. a pull
 * request's `refs/pull/7/merge`): mirroring everything would pull every pull request of a
 * big repository. If the commit is not on those refs (a force-pushed branch), all
 * branches and tags are fetched once more before giving up.
 *
 * One lock per cache serialises fetch and workspace clone across jobs of one repository.
 * A `fresh` workspace `<dataDir>/work/<jobId>` is a local clone of the cache (its `.git`
 * made by hand as `git clone` would, where the cache's layout allows) checked out
 * detached at the sha, its objects hardlinked for a job run as plain processes (which run
 * as the drone's user, who owns the cache anyway). A job in a container gets no hardlink
 * into the cache: its root ignores a file's read-only mode, so a pull request's build
 * could rewrite objects that later builds of the repository check out. Its `.git` points
 * through `objects/info/alternates` at the cache's objects, which the container mounts
 * read-only at `objectsAt` (new objects of its own go to its own `.git`).
 * An `incremental` one is a tree the drone keeps per project and slot, brought to the
 * commit (workspaces/incremental-trees.ts); a spec without `workspace` builds fresh.
 *
 * Failures are `CheckoutError`s with a message fit for users: git's own complaint, and
 * never a credential.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { simpleGit } from 'simple-git';
import type { SimpleGit } from 'simple-git';
import type { CheckoutSpec, WorkspaceSpec } from '../common/protocol/index.ts';
import { prepareGitAuth, type GitAuth } from '../common/git/credentials-env.ts';
import { firstUseKnownHostsFile } from '../common/git/host-key-check.ts';
import { DEFAULT_GIT_TIMEOUTS, type GitTimeouts } from '../common/git/git-timeouts.ts';
import { GitTimeoutError, runRemoteGit } from '../common/git/remote-git.ts';
import { KeyedMutex } from '../common/keyed-mutex.ts';
import { redactSecrets } from '../common/secrets/redact.ts';
import { removeTree } from './remove-tree.ts';
import { safeDirName } from './safe-dir-name.ts';
import { looseCommitSubject } from './commit-subject.ts';
import { FETCH_WITHOUT_MAINTENANCE, FetchMaintenance } from '../common/git/fetch-maintenance.ts';
import { KnownCommits } from '../common/git/known-commits.ts';
import { fetchedTip } from '../common/git/fetch-head.ts';
import { fetchScope } from './known-commits.ts';
import { IncrementalTrees } from './workspaces/incremental-trees.ts';
import { makeBuildGitDir, pointObjectsAt } from './workspaces/build-git-dir.ts';
import { localGit } from './workspaces/local-git.ts';
import { readTextIfExists } from './workspaces/read-text.ts';

export class CheckoutError extends Error {
  override name = 'CheckoutError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

export interface CheckoutRequest {
  jobId: string;
  checkout: CheckoutSpec;
  /** Aborting kills the running git process; the checkout then rejects. */
  signal?: AbortSignal;
  /** Progress lines for the job log, e.g. "Fetching https://… (branch main)". */
  onProgress?: (line: string) => void;
  /** The spec's `workspace` and the job's project; absent: a fresh clone. */
  workspace?: WorkspaceSpec & { projectId: string };
  /** Names the drone will write into the workspace root for the job (its uploaded files). */
  droneFiles?: string[];
  /**
   * The job runs in a container that sees the cache's objects, read-only, at this path:
   * the workspace's `.git` reaches them through alternates pointing there, with no
   * hardlink into the cache (see the module comment).
   */
  objectsAt?: string;
}

export interface CheckoutResult {
  workspace: string;
  /** The full sha checked out. */
  sha: string;
}

export interface RepoCacheOptions {
  dataDir: string;
  /** Host variables git may see (PATH, HOME for ~/.ssh/known_hosts, …). */
  hostEnv: Record<string, string>;
  /** Limits of each fetch (default DEFAULT_GIT_TIMEOUTS). */
  gitTimeouts?: GitTimeouts;
}

const ALL_REFS = ['+refs/heads/*:refs/heads/*', '+refs/tags/*:refs/tags/*'];
// Variables simple-git blocks unless named; all are set by us, never taken from the host.
const GIT_ENV_ALLOWED = ['GIT_ASKPASS', 'GIT_SSH_COMMAND', 'GIT_TERMINAL_PROMPT'];

export class RepoCache {
  readonly #locks = new KeyedMutex();
  readonly #knownCommits = new KnownCommits();
  readonly #maintenance = new FetchMaintenance();
  readonly #trees: IncrementalTrees;

  readonly #options: RepoCacheOptions;

  constructor(options: RepoCacheOptions) {
    this.#options = options;
    this.#trees = new IncrementalTrees({ root: join(options.dataDir, 'workspaces'), hostEnv: options.hostEnv });
  }

  /** The workspace directory of a job (whether or not it exists). */
  workspacePath(jobId: string): string {
    return join(this.#options.dataDir, 'work', safeDirName(jobId));
  }

  /**
   * Where checkout() will put the job's workspace, before it runs — so an executor can
   * prepare beside the checkout (runner.ts). For an incremental workspace it takes the
   * job's tree lease now (checkout() takes the same one); removeWorkspace gives it back.
   */
  plannedWorkspace(request: Pick<CheckoutRequest, 'jobId' | 'workspace'>): string {
    const incremental = request.workspace?.mode === 'incremental' ? request.workspace : undefined;
    return incremental ? this.#trees.treePath(this.#trees.lease(incremental.projectId, request.jobId)) : this.workspacePath(request.jobId);
  }

  cachePath(repoUrl: string): string {
    return join(this.#options.dataDir, 'repos', createHash('sha256').update(repoUrl).digest('hex').slice(0, 16));
  }

  async checkout(request: CheckoutRequest): Promise<CheckoutResult> {
    const spec = request.checkout;
    validate(spec);
    const progress = request.onProgress ?? (() => {});
    const incremental = request.workspace?.mode === 'incremental' ? request.workspace : undefined;
    // Taken before the cache's lock: two jobs of the project never get one tree.
    const lease = incremental && this.#trees.lease(incremental.projectId, request.jobId);
    const workspace = lease ? this.#trees.treePath(lease) : this.workspacePath(request.jobId);
    const cacheDir = this.cachePath(spec.repoUrl);
    const auth = await prepareGitAuth(spec.credentials, {
      firstUseKnownHosts: firstUseKnownHostsFile(join(this.#options.dataDir, 'known-hosts'), spec.repoUrl),
      path: this.#options.hostEnv.PATH,
    });
    const clean = (text: string) => redact(text, auth.secrets);
    try {
      return await this.#locks.run(cacheDir, async () => {
        await this.#ensureCache(cacheDir, request.signal);
        const cache = this.#git(cacheDir, auth, request.signal);
        const fetchCommit = async (): Promise<string> => {
          const refs = refspecsFor(spec);
          const fetched = [...refs];
          progress(`Fetching ${clean(spec.repoUrl)} (${describeRefs(spec)})`);
          const started = Date.now();
          await this.#fetch(cacheDir, spec.repoUrl, refs, auth, request.signal, clean);
          // Usually the job's commit is the tip just fetched: FETCH_HEAD says so without a git process.
          let sha = (await fetchedTip(cacheDir)) === spec.sha.toLowerCase() ? spec.sha.toLowerCase() : await resolveCommit(cache, spec.sha);
          if (!sha && refs !== ALL_REFS) {
            progress(`Commit ${spec.sha.slice(0, 12)} is not on the fetched refs; fetching all branches and tags`);
            await this.#fetch(cacheDir, spec.repoUrl, ALL_REFS, auth, request.signal, clean);
            fetched.push(...ALL_REFS);
            sha = await resolveCommit(cache, spec.sha);
          }
          if (!sha) {
            throw new CheckoutError(`commit ${spec.sha} not found in ${clean(spec.repoUrl)} after fetching ${fetched.join(', ')}`);
          }
          progress(`Fetched in ${((Date.now() - started) / 1000).toFixed(1)} s`);
          this.#knownCommits.add(fetchScope(cacheDir, spec.credentials), sha);
          return sha;
        };
        const place = async (sha: string): Promise<CheckoutResult> => {
          const [, subject] = await Promise.all([
            lease
              ? this.#trees.update(lease, {
                cacheDir, repoUrl: spec.repoUrl, sha, caches: incremental.caches, droneFiles: request.droneFiles ?? [], signal: request.signal, progress,
                objectsAt: request.objectsAt,
              })
              : this.#cloneFresh(workspace, cacheDir, spec.repoUrl, sha, auth, request.signal, request.objectsAt),
            // Only for the log line: a subject that cannot be read is left out.
            this.#subject(cacheDir, cache, sha).catch(() => ''),
          ]);
          progress(`Checked out ${sha.slice(0, 7)}${subject.trim() ? ` ${clean(subject.trim())}` : ''}`);
          return { workspace, sha };
        };

        const known = spec.sha.toLowerCase();
        if (!this.#knownCommits.has(fetchScope(cacheDir, spec.credentials), known)) return await place(await fetchCommit());
        // Fetched with these credentials for an earlier build (known-commits.ts).
        progress(`Commit ${known.slice(0, 12)} is in the drone's cache already; not fetched again`);
        try {
          return await place(known);
        } catch (err) {
          if (request.signal?.aborted) throw err;
          // Gone from the cache after all (a gc after a force-push): fetched as any other.
          this.#knownCommits.delete(fetchScope(cacheDir, spec.credentials), known);
          progress(`Checking out the cached commit failed (${clean(gitMessage(err))}); fetching it`);
          return await place(await fetchCommit());
        }
      });
    } catch (err) {
      // An incremental tree stays (without its state: the next build makes it anew).
      if (lease) this.#trees.release(request.jobId);
      else await removeTree(workspace).catch(() => {});
      if (err instanceof CheckoutError) throw err;
      if (request.signal?.aborted) throw new CheckoutError('checkout aborted', { cause: err });
      throw new CheckoutError(`checkout of ${clean(spec.repoUrl)} failed: ${clean(gitMessage(err))}`, { cause: err });
    } finally {
      await auth.dispose();
    }
  }

  /**
   * A fresh workspace: a local clone of the cache, checked out detached at the commit; its
   * objects hardlinked, or for a container (`objectsAt`) reached through alternates. Its
   * `.git` is made by hand where the cache's layout allows, as an incremental build's is
   * (workspaces/build-git-dir.ts: a clone cost ~20–30 ms, its `git-upload-pack` included),
   * so a fresh build starts one git process, the checkout; otherwise it is cloned.
   */
  async #cloneFresh(
    workspace: string, cacheDir: string, repoUrl: string, sha: string, auth: GitAuth, signal: AbortSignal | undefined, objectsAt?: string,
  ): Promise<void> {
    await removeTree(workspace);
    await mkdir(workspace, { recursive: true });
    const gitDir = join(workspace, '.git');
    // For a container, through alternates at the cache's objects here for the checkout, then at its mount.
    const made = await makeBuildGitDir(cacheDir, repoUrl, gitDir, objectsAt && join(cacheDir, 'objects')).catch(() => undefined);
    if (made) {
      await localGit(['-c', 'advice.detachedHead=false', 'checkout', '--quiet', '--detach', sha], { cwd: workspace, env: this.#options.hostEnv, signal });
      if (objectsAt) pointObjectsAt(gitDir, objectsAt);
      return;
    }
    await removeTree(workspace);
    await mkdir(dirname(workspace), { recursive: true });
    await this.#git(dirname(workspace), auth, signal).raw(['clone', '--no-checkout', ...(objectsAt ? ['--shared'] : []), cacheDir, workspace]);
    // Side by side: these touch different files. Both are waited for even when one fails:
    // the workspace may be removed and made again right after.
    const settled = await Promise.allSettled([
      // Builds that look at their remote should see the real one, not the cache.
      this.#setOriginUrl(workspace, repoUrl, signal),
      this.#git(workspace, auth, signal).raw(['-c', 'advice.detachedHead=false', 'checkout', '--detach', sha]),
    ]);
    for (const result of settled) if (result.status === 'rejected') throw result.reason;
    // Checked out here through the cache's own path; the container reads them at its mount.
    if (objectsAt) pointObjectsAt(join(workspace, '.git'), objectsAt);
  }

  /** The cache's objects directory for `repoUrl`, when the cache exists. */
  gitObjectsPath(repoUrl: string): string | undefined {
    const objects = join(this.cachePath(repoUrl), 'objects');
    return existsSync(objects) ? objects : undefined;
  }

  /** The commit's subject for the log: read from its loose object, or asked of git (commit-subject.ts). */
  async #subject(cacheDir: string, cache: SimpleGit, sha: string): Promise<string> {
    return (await looseCommitSubject(cacheDir, sha)) ?? cache.raw(['log', '-1', '--format=%s', sha]);
  }

  /** The job is done with its workspace: a fresh one is deleted, an incremental tree given back for the next build. */
  async removeWorkspace(jobId: string): Promise<void> {
    if (this.#trees.release(jobId)) return;
    await removeTree(this.workspacePath(jobId));
  }

  /** Creates the bare cache, or re-creates it when a crash left it broken. */
  async #ensureCache(cacheDir: string, signal: AbortSignal | undefined): Promise<void> {
    // A cache `git init --bare` finished has HEAD and a config saying so (read here rather
    // than by a git process, which costs more than the whole check; in this thread, as
    // two small file reads cost less than their trips through the thread pool).
    if (existsSync(join(cacheDir, 'HEAD'))) {
      const config = readTextIfExists(join(cacheDir, 'config')) ?? '';
      if (/^\s*bare\s*=\s*true\s*$/m.test(config)) return;
    }
    this.#knownCommits.forget(cacheDir);
    this.#maintenance.forget(cacheDir);
    await removeTree(cacheDir);
    await mkdir(cacheDir, { recursive: true });
    await this.#git(cacheDir, undefined, signal).raw(['init', '--bare']);
  }

  /**
   * The one step that talks to the repository's server, so the one bounded in time: git's
   * low-speed and ssh timeouts, a connect probe and a total, after which git is killed
   * with its helpers (common/git/remote-git.ts). Aborting the job kills it the same way.
   */
  async #fetch(cacheDir: string, url: string, refspecs: string[], auth: GitAuth, signal: AbortSignal | undefined, clean: (s: string) => string): Promise<void> {
    try {
      await runRemoteGit(['-c', 'credential.helper=', 'fetch', FETCH_WITHOUT_MAINTENANCE, '--prune', '--no-tags', url, ...refspecs], {
        cwd: cacheDir,
        env: { ...this.#options.hostEnv, GIT_TERMINAL_PROMPT: '0', ...auth.env },
        timeouts: this.#options.gitTimeouts ?? DEFAULT_GIT_TIMEOUTS,
        url,
        signal,
      });
      // git's own maintenance, every so many fetches rather than after each (fetch-maintenance.ts).
      // A commit it prunes that a job expects is fetched again (see `checkout`).
      await this.#maintenance.afterFetch(cacheDir, this.#options.hostEnv);
    } catch (err) {
      if (signal?.aborted) throw err;
      if (err instanceof GitTimeoutError) {
        throw new CheckoutError(`the repository ${clean(url)} did not answer in time (${err.message}); the fetch was stopped`, { cause: err });
      }
      const hostKey = auth.explain(err);
      throw new CheckoutError(`could not fetch ${clean(url)}: ${clean(hostKey?.message ?? gitMessage(err))}`, { cause: hostKey ?? err });
    }
  }

  /**
   * `git remote set-url` prints nothing, and simple-git waits a fixed 50 ms after any git
   * process that printed nothing (its completion plugin; not configurable) — a third of a
   * trivial build. So this one command runs without simple-git.
   */
  #setOriginUrl(workspace: string, url: string, signal: AbortSignal | undefined): Promise<void> {
    return new Promise((resolve, reject) => {
      execFile('git', ['remote', 'set-url', 'origin', url], {
        cwd: workspace, env: { ...this.#options.hostEnv, GIT_TERMINAL_PROMPT: '0' }, signal, timeout: 60_000,
      }, (err, _stdout, stderr) => (err ? reject(new Error(`git remote set-url failed: ${stderr || err.message}`, { cause: err })) : resolve()));
    });
  }

  // No `--quiet` on purpose: simple-git waits an extra 50 ms after a git process that
  // printed nothing, which would add up to a noticeable delay per job.
  #git(baseDir: string, auth: GitAuth | undefined, signal: AbortSignal | undefined): SimpleGit {
    return simpleGit({
      baseDir,
      abort: signal,
      allowEnvironment: GIT_ENV_ALLOWED,
      unsafe: { allowUnsafeAskPass: true, allowUnsafeSshCommand: true, allowUnsafeCredentialHelper: true },
      // No credential helper of the host may answer (or store) for us.
      config: ['credential.helper='],
    }).env({ ...this.#options.hostEnv, GIT_TERMINAL_PROMPT: '0', ...auth?.env });
  }
}

/** The refspecs a job needs in the cache: its branch and its extra ref, or everything. */
export function refspecsFor(spec: CheckoutSpec): string[] {
  const refs: string[] = [];
  if (spec.branch) refs.push(`+refs/heads/${spec.branch}:refs/heads/${spec.branch}`);
  if (spec.refspec) refs.push(normalizeRefspec(spec.refspec));
  return refs.length ? refs : ALL_REFS;
}

/** `refs/pull/7/merge` → `+refs/pull/7/merge:refs/pull/7/merge` (kept under its own name). */
export function normalizeRefspec(refspec: string): string {
  const body = refspec.startsWith('+') ? refspec.slice(1) : refspec;
  const [src, dst] = body.split(':', 2);
  return `+${src}:${dst || src}`;
}

function describeRefs(spec: CheckoutSpec): string {
  const parts: string[] = [];
  if (spec.branch) parts.push(`branch ${spec.branch}`);
  if (spec.refspec) parts.push(normalizeRefspec(spec.refspec).slice(1).split(':')[0]);
  return parts.length ? parts.join(', ') : 'all branches and tags';
}

async function resolveCommit(git: SimpleGit, sha: string): Promise<string | undefined> {
  // `--quiet` makes a missing commit an empty answer rather than an error.
  const out = await git.raw(['rev-parse', '--verify', '--quiet', `${sha}^{commit}`]).catch(() => '');
  return out.trim() || undefined;
}

function validate(spec: CheckoutSpec): void {
  // Anything starting with "-" would be read by git as an option.
  const bad = (s: string) => s.startsWith('-') || /[\s\0]/.test(s);
  if (bad(spec.repoUrl)) throw new CheckoutError(`invalid repository URL ${JSON.stringify(redact(spec.repoUrl, []))}`);
  if (!/^[0-9a-fA-F]{4,64}$/.test(spec.sha)) throw new CheckoutError(`invalid commit sha ${JSON.stringify(spec.sha)}`);
  if (spec.branch !== undefined && (bad(spec.branch) || spec.branch.includes(':') || spec.branch === '')) {
    throw new CheckoutError(`invalid branch name ${JSON.stringify(spec.branch)}`);
  }
  if (spec.refspec !== undefined) {
    const body = spec.refspec.replace(/^\+/, '');
    if (bad(body) || !body.startsWith('refs/')) throw new CheckoutError(`invalid refspec ${JSON.stringify(spec.refspec)}; expected refs/…`);
  }
}

function gitMessage(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  const lines = message.split('\n').map((l) => l.trim()).filter(Boolean);
  return lines.join(' ').slice(0, 2_000) || 'git failed';
}

/** Removes credentials from text: user:password in URLs and the given secret values. */
export function redact(text: string, secrets: string[]): string {
  return redactSecrets(text.replace(/(\b[a-z][a-z0-9+.-]*:\/\/)[^/@\s]*@/gi, '$1***@'), secrets);
}
