/**
 * Bare mirrors of project repositories on the queen, used to resolve a branch to its
 * exact commit and to read `.hive.yml` at that commit. One mirror per repository URL;
 * operations on one mirror run one at a time. Credentials are never written into the
 * mirror's config: every fetch names its URL and refspecs explicitly, and a private
 * repository's token or deploy key reaches git only through its environment (common/git/credentials-env.ts).
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { simpleGit, type SimpleGit } from 'simple-git';
import { ResolveError } from '../errors.ts';
import { KeyedMutex } from '../../common/keyed-mutex.ts';
import { prepareGitAuth, type GitCredentials } from '../../common/git/credentials-env.ts';
import { firstUseKnownHostsFile } from '../../common/git/host-key-check.ts';
import type { GitTimeouts } from '../../common/git/git-timeouts.ts';
import { GitTimeoutError, runRemoteGit } from '../../common/git/remote-git.ts';
import { redactSecrets } from '../../common/secrets/redact.ts';
import { fetchedTip } from '../../common/git/fetch-head.ts';
import { FETCH_WITHOUT_MAINTENANCE, FetchMaintenance } from '../../common/git/fetch-maintenance.ts';
import { KnownCommits } from '../../common/git/known-commits.ts';
import { isObjectId } from '../../common/git/object-id.ts';
import { CommitFileCache } from './commit-file-cache.ts';
import { MAX_CONFIG_BYTES } from './mirror-host-protocol.ts';
import { localBranchTip } from './local-branch-tip.ts';
import { looseCommitFile, looseCommitParents } from './loose-commit-file.ts';
import { readBlob } from './read-blob.ts';

/** The commit a request resolved to, which the mirror now has. */
export interface Resolved {
  sha: string;
  /**
   * git's maintenance ran on the mirror on the way (after a fetch: fetch-maintenance.ts):
   * a gc can remove commits no ref reaches, so whatever was known to be in the mirror
   * before may be gone (the queen's side of the git host forgets it: mirror-host-client.ts).
   */
  maintained?: true;
}

/** A file read at a commit (`readCommitFile`). */
export interface CommitFile {
  /** Absent: the commit has no such file. */
  text?: string;
  /** The answer holds for good: the commit is named by its full id and is in the mirror. */
  lasting: boolean;
}

export interface RefRequest {
  branch?: string;
  sha?: string;
  /** e.g. `+refs/pull/7/merge` or `refs/merge-requests/3/head`. */
  refspec?: string;
  /**
   * `sha` was fetched for the same project moments ago (its run's first job pinned it):
   * when the mirror has it, nothing more. Otherwise every request talks to the repository
   * (a fetch, or an ls-remote when the mirror has what it names), even for a commit the
   * mirror has — mirrors are shared by every project of a URL, and that exchange with the
   * project's own credentials is what shows that the project may read the repository.
   */
  fetchedForProject?: boolean;
}

/**
 * The queen needs a commit and its `.hive.yml`, not the history: fetches are shallow, so a
 * big repository's first build does not wait for its whole history. Two deep, because a
 * pull request's merge commit is checked against its parents (pull-request-ref.ts).
 */
const FETCH_DEPTH = 2;
/** Variables simple-git guards that the queen's git may legitimately need. */
const ALLOWED_GIT_ENV = ['GIT_SSL_CAINFO', 'GIT_SSL_CAPATH', 'GIT_TERMINAL_PROMPT', 'GIT_ASKPASS', 'GIT_SSH_COMMAND'];

/** `+refs/pull/7/merge` → `+refs/pull/7/merge:refs/pull/7/merge` (keeps an explicit destination). */
export function normalizeRefspec(refspec: string): { spec: string; dst: string } {
  const forced = refspec.startsWith('+');
  const body = forced ? refspec.slice(1) : refspec;
  const [src, dst = src] = body.split(':');
  return { spec: `+${src}:${dst}`, dst };
}

/** Git's own message, without a URL's userinfo should one ever appear in it. */
function gitMessage(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text.replace(/\/\/[^/@\s]+@/g, '//').split('\n').map((l) => l.trim()).filter(Boolean).slice(0, 3).join(' ');
}

/** Room for the files read at commits (`.hive.yml`s): a few thousand small ones. */
const COMMIT_FILES_BYTES = 4 * 1024 * 1024;

export class RepoMirrors {
  readonly #locks = new KeyedMutex();
  /** Commits a fetch brought into a mirror (or found there) since its last maintenance run. */
  readonly #present = new KnownCommits();
  readonly #maintenance = new FetchMaintenance();
  /** Maintenance runs per mirror, for `Resolved.maintained`. */
  readonly #maintained = new Map<string, number>();
  readonly #commitFiles = new CommitFileCache(COMMIT_FILES_BYTES);
  /**
   * Aborted by `stop`: kills this instance's fetches and refuses new ones. Its own, not
   * every git of the process (remote-git.ts's `killAllRemoteGit`): a test process runs
   * several queens, and one's stop must not fail another's fetches.
   */
  readonly #stopping = new AbortController();

  /** `env` is everything git runs with (see QueenConfig.gitEnv): never the queen's whole environment. */
  constructor(
    private readonly dir: string,
    private readonly env: Record<string, string>,
    private readonly timeouts: GitTimeouts,
  ) {}

  /** Kills the fetches running now; later ones fail at once with `reason`. Other git commands run on. */
  stop(reason: Error): void {
    this.#stopping.abort(reason);
  }

  /** Rethrows `stop`'s reason as it is: a stopping queen is no fault of the repository's. */
  #passStop(err: unknown): void {
    if (this.#stopping.signal.aborted && err === this.#stopping.signal.reason) throw err;
  }

  #pathFor(repoUrl: string): string {
    return join(this.dir, `${createHash('sha256').update(repoUrl).digest('hex').slice(0, 24)}.git`);
  }

  /** `authEnv` (from common/git/credentials-env.ts) is set by us, never taken from the host. */
  #git(path: string, authEnv: Record<string, string> = {}): SimpleGit {
    return simpleGit({
      baseDir: path,
      timeout: { block: 120_000 },
      allowEnvironment: ALLOWED_GIT_ENV,
      unsafe: { allowUnsafeCredentialHelper: true, allowUnsafeAskPass: true, allowUnsafeSshCommand: true },
      config: ['credential.helper='],
    }).env({ ...this.env, GIT_TERMINAL_PROMPT: '0', ...authEnv });
  }

  /**
   * A fetch from the repository, bounded in time and killed with its helpers when it runs
   * out (common/git/remote-git.ts): a server that never answers fails this job, not the
   * jobs of other repositories waiting behind it.
   */
  async #fetch(path: string, repoUrl: string, args: string[], authEnv: Record<string, string>): Promise<void> {
    await runRemoteGit(['-c', 'credential.helper=', 'fetch', FETCH_WITHOUT_MAINTENANCE, ...args], {
      cwd: path, env: { ...this.env, GIT_TERMINAL_PROMPT: '0', ...authEnv }, timeouts: this.timeouts, url: repoUrl,
      signal: this.#stopping.signal,
    });
    // A fetch removes no objects; git's maintenance, run here every so many fetches, may.
    if (await this.#maintenance.afterFetch(path, this.env)) {
      this.#present.forget(path);
      this.#maintained.set(path, (this.#maintained.get(path) ?? 0) + 1);
    }
  }

  async #ensure(repoUrl: string): Promise<string> {
    const path = this.#pathFor(repoUrl);
    if (await stat(path).then(() => true, () => false)) return path;
    // Created under a temporary name and renamed, so a crash never leaves half a mirror.
    const tmp = `${path}.tmp-${process.pid}-${Date.now()}`;
    await mkdir(tmp, { recursive: true });
    await simpleGit({ baseDir: tmp }).init(true);
    await rename(tmp, path);
    return path;
  }

  /**
   * Fetches what the request needs and returns the exact commit to build. A request with
   * a refspec and no branch (a pull request, a tag) fetches just that ref: a big
   * repository's every branch is not needed to build one pull request.
   */
  async resolve(repoUrl: string, ref: RefRequest, credentials?: GitCredentials): Promise<Resolved> {
    // A repository's first-use host keys live beside the mirrors (host-key-check.ts).
    const auth = await prepareGitAuth(credentials, { firstUseKnownHosts: firstUseKnownHostsFile(join(this.dir, 'known-hosts'), repoUrl), path: this.env.PATH });
    try {
      return await this.#resolve(repoUrl, ref, auth.env, (err) => redactSecrets(auth.explain(err)?.message ?? gitMessage(err), auth.secrets));
    } finally {
      await auth.dispose();
    }
  }

  async #resolve(repoUrl: string, ref: RefRequest, authEnv: Record<string, string>, message: (err: unknown) => string): Promise<Resolved> {
    return this.#locks.run(repoUrl, async () => {
      const path = await this.#ensure(repoUrl);
      const runsBefore = this.#maintained.get(path) ?? 0;
      const { sha } = await this.#resolveLocked(path, repoUrl, ref, authEnv, message);
      return (this.#maintained.get(path) ?? 0) === runsBefore ? { sha } : { sha, maintained: true };
    });
  }

  async #resolveLocked(path: string, repoUrl: string, ref: RefRequest, authEnv: Record<string, string>, message: (err: unknown) => string): Promise<{ sha: string }> {
    const git = this.#git(path, authEnv);
    // A commit the run's first job fetched needs no fetch again — a commit never changes:
    // the other jobs of a run of a hundred cost one fetch, not a hundred.
    if (ref.sha && ref.fetchedForProject) {
      if (isObjectId(ref.sha) && this.#present.has(path, ref.sha)) return { sha: ref.sha.toLowerCase() };
      const present = await commitOf(path, this.env, ref.sha);
      if (present) return { sha: present };
    }
    // Ask the repository first where it stands when that may spare the fetch: `git
    // ls-remote` is the cheapest exchange with it (~10 ms against ~22 for a fetch that
    // brings nothing, on a local repository) and, made with the project's credentials,
    // as much a proof that the project may read it. A branch's tip, or the commit asked
    // for, that the mirror has already needs nothing more.
    // (A commit asked for by sha is looked for only among those remembered: asking git
    // would cost a push's new commit, which no mirror has yet, a process for nothing.)
    if (!ref.refspec && (ref.sha ? this.#present.has(path, ref.sha) : ref.branch)) {
      const target = ref.branch ? `refs/heads/${ref.branch}` : 'HEAD';
      let tip: string | undefined;
      try {
        tip = await this.#remoteTip(path, repoUrl, target, authEnv);
      } catch (err) {
        this.#passStop(err);
        if (err instanceof GitTimeoutError) throw notInTime(repoUrl, err);
        throw new ResolveError(`Could not fetch ${describe(ref)} from ${redactUrl(repoUrl)}: ${message(err)}`, { cause: err });
      }
      if (ref.sha) return { sha: ref.sha.toLowerCase() };
      if (!tip) throw new ResolveError(`Could not fetch ${describe(ref)} from ${redactUrl(repoUrl)}: it has no such branch`);
      // A tip not known to be here is fetched rather than looked for: it is a push's new
      // commit nearly always, and a git process asking would be one for nothing. (A tip
      // the mirror has but forgot — after a restart — costs a fetch that brings nothing.)
      if (this.#present.has(path, tip)) return { sha: tip };
    }
    const extra = ref.refspec ? normalizeRefspec(ref.refspec) : undefined;
    const refspecs = ref.branch ? [`+refs/heads/${ref.branch}:refs/heads/${ref.branch}`] : extra ? [] : ['+refs/heads/*:refs/heads/*'];
    if (extra) refspecs.push(extra.spec);
    try {
      await this.#fetch(path, repoUrl, ['--no-tags', '--prune', `--depth=${FETCH_DEPTH}`, repoUrl, ...refspecs], authEnv);
    } catch (err) {
      this.#passStop(err);
      if (err instanceof GitTimeoutError) throw notInTime(repoUrl, err);
      throw new ResolveError(`Could not fetch ${describe(ref)} from ${redactUrl(repoUrl)}: ${message(err)}`, { cause: err });
    }
    if (ref.sha) {
      const found = await commitOf(path, this.env, ref.sha);
      if (found) return this.#seen(path, found);
      // An older commit no longer at the branch tip: look in every branch and tag, with
      // their whole history (the rare case that pays for what shallow fetches save).
      const shallow = await stat(join(path, 'shallow')).then(() => true, () => false);
      await this.#fetch(path, repoUrl, [...(shallow ? ['--unshallow'] : []), repoUrl, '+refs/heads/*:refs/heads/*', '+refs/tags/*:refs/tags/*'], authEnv).catch((err) => {
        this.#passStop(err);
        if (err instanceof GitTimeoutError) throw notInTime(repoUrl, err);
      });
      const again = await commitOf(path, this.env, ref.sha);
      if (again) return this.#seen(path, again);
      throw new ResolveError(`Commit ${ref.sha} was not found in ${redactUrl(repoUrl)}`);
    }
    const target = extra ? extra.dst : `refs/heads/${ref.branch}`;
    if (!ref.branch && !extra) throw new ResolveError('A branch, a commit or a refspec is needed to build');
    // The one ref just fetched is in FETCH_HEAD: reading the file spares a git process.
    // A tag may name a tag object rather than its commit, so tags are peeled by git.
    const fetched = target.startsWith('refs/tags/') ? undefined : await fetchedTip(path);
    if (fetched) return this.#seen(path, fetched);
    try {
      return this.#seen(path, (await git.revparse([`${target}^{commit}`])).trim());
    } catch (err) {
      throw new ResolveError(`${describe(ref)} does not exist in ${redactUrl(repoUrl)}`, { cause: err });
    }
  }

  /** A commit a fetch just brought or found: remembered as in the mirror, and the answer. */
  #seen(path: string, sha: string): { sha: string } {
    this.#present.add(path, sha);
    return { sha };
  }

  /** Where `ref` points in the repository (ls-remote), or undefined when it has no such ref. */
  async #remoteTip(path: string, repoUrl: string, ref: string, authEnv: Record<string, string>): Promise<string | undefined> {
    // A repository on this disk is read without git when its layout allows (local-branch-tip.ts).
    const local = localBranchTip(repoUrl, ref);
    if (local) return local;
    const { stdout } = await runRemoteGit(['-c', 'credential.helper=', 'ls-remote', repoUrl, ref], {
      cwd: path, env: { ...this.env, GIT_TERMINAL_PROMPT: '0', ...authEnv }, timeouts: this.timeouts, url: repoUrl,
      signal: this.#stopping.signal,
    });
    for (const line of stdout.split('\n')) {
      const [sha, name] = line.split('\t');
      if (name === ref && isObjectId(sha)) return sha;
    }
    return undefined;
  }

  /** The parents of a commit already fetched by `resolve` (a merge commit has two): from its loose object, else from git. */
  async parents(repoUrl: string, sha: string): Promise<string[]> {
    return this.#locks.run(repoUrl, async () => {
      const loose = await looseCommitParents(this.#pathFor(repoUrl), sha);
      if (loose) return loose;
      const line = await this.#git(this.#pathFor(repoUrl)).raw(['rev-list', '--parents', '-n', '1', sha]);
      return line.trim().split(/\s+/).slice(1);
    });
  }

  /** A file's text at a commit (already fetched by `resolve`), or undefined when absent. */
  async readFile(repoUrl: string, sha: string, file: string): Promise<string | undefined> {
    return (await this.readCommitFile(repoUrl, sha, file)).text;
  }

  /**
   * A file at a commit, and whether that answer holds for good (`lasting`): a text read by
   * a full object id, or a file the commit is known here not to have. The queen keeps
   * such answers on its side of the git host (mirror-host-client.ts).
   */
  async readCommitFile(repoUrl: string, sha: string, file: string): Promise<CommitFile> {
    const kept = this.#commitFiles.get(repoUrl, sha, file);
    if (kept !== undefined) return { text: kept ?? undefined, lasting: true };
    return this.#locks.run(repoUrl, async () => {
      const path = this.#pathFor(repoUrl);
      // From the loose objects a push's fetch left, else from git (loose-commit-file.ts).
      const loose = await looseCommitFile(path, sha, file, MAX_CONFIG_BYTES);
      const blob = loose ?? (await readBlob(path, { ...this.env, GIT_TERMINAL_PROMPT: '0' }, `${sha}:${file}`, MAX_CONFIG_BYTES));
      switch (blob.kind) {
        case 'missing': {
          // Kept as absent only once the commit itself is known to be here: read just now
          // from its loose object, or remembered by the resolution that fetched it — no git
          // process for a push's commit — else asked of git.
          const lasting = isObjectId(sha) && (loose !== undefined || this.#present.has(path, sha) || (await commitOf(path, this.env, sha)) === sha);
          if (lasting) this.#commitFiles.set(repoUrl, sha, file, null);
          return { lasting };
        }
        case 'not-a-file':
          throw new ResolveError(`${file} is a ${blob.type}, not a file`);
        case 'too-large':
          throw new ResolveError(`${file} is larger than ${MAX_CONFIG_BYTES} bytes`);
        case 'blob':
          this.#commitFiles.set(repoUrl, sha, file, blob.text);
          return { text: blob.text, lasting: isObjectId(sha) };
      }
    });
  }

  async remove(repoUrl: string): Promise<void> {
    await this.#locks.run(repoUrl, async () => {
      this.#present.forget(this.#pathFor(repoUrl));
      this.#maintenance.forget(this.#pathFor(repoUrl));
      await rm(this.#pathFor(repoUrl), { recursive: true, force: true });
    });
  }
}

/**
 * The commit a sha (or tag object) names, or undefined when the mirror lacks it. A plain
 * git process, not simple-git, which waits 50 ms after a git that printed nothing — as
 * this one does for every commit the mirror lacks, the usual case for a push's commit.
 */
function commitOf(path: string, env: Record<string, string>, sha: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile('git', ['rev-parse', '--verify', '--quiet', `${sha}^{commit}`], { cwd: path, env: { ...env, GIT_TERMINAL_PROMPT: '0' }, timeout: 60_000 }, (err, stdout) => {
      resolve(err ? undefined : stdout.trim() || undefined);
    });
  });
}

/** A repository that ran out of a git timeout: said in words, for the job's message. */
function notInTime(repoUrl: string, err: GitTimeoutError): ResolveError {
  return new ResolveError(`The repository ${redactUrl(repoUrl)} did not answer in time (${err.message}); the fetch was stopped`, { cause: err });
}

function describe(ref: RefRequest): string {
  if (ref.refspec) return `ref ${ref.refspec}`;
  if (ref.branch) return `branch "${ref.branch}"`;
  return `commit ${ref.sha}`;
}

/** A URL as shown to users: any userinfo (user:token@) removed. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.username || u.password) {
      u.username = '';
      u.password = '';
    }
    return u.toString();
  } catch {
    return url.replace(/\/\/[^/@\s]+@/, '//');
  }
}
