/**
 * The queen's side of the git host (mirror-host.ts explains why git runs in a process of
 * its own): the mirror operations as async calls over IPC. The host is started before the
 * database opens, so the fork itself is cheap; if it dies, the calls in flight fail with
 * the reason (their jobs end errored, as for an unreachable repository) and the next call
 * starts a new host.
 */
import { fork, type ChildProcess } from 'node:child_process';
import type { GitTimeouts } from '../../common/git/git-timeouts.ts';
import { HiveError, ResolveError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import { GIT_HOST_NODE_FLAGS } from '../util/child-node-flags.ts';
import { FORWARDED_STDIO, forwardChildOutput } from '../util/child-output.ts';
import { modulePath, tsxImportArgs } from '../util/tsx-loader.ts';
import type { GitCredentials } from '../../common/git/credentials-env.ts';
import { KnownCommits } from '../../common/git/known-commits.ts';
import { CommitFileCache } from './commit-file-cache.ts';
import { localBranchTip } from './local-branch-tip.ts';
import type { HostReply, HostRequest, MirrorMethod, Mirrors } from './mirror-host-protocol.ts';
import type { CommitFile, RefRequest, Resolved } from './repo-mirror.ts';

const hostMain = modulePath('./mirror-host.ts', import.meta.url);
/** `.hive.yml` texts are small: a few hundred commits' worth. */
const KEPT_COMMIT_FILES_BYTES = 1024 * 1024;

/** The git host failed, not git: the host process exited or could not start. */
export class GitHostError extends HiveError {}

interface Pending {
  child: ChildProcess;
  resolve(value: unknown): void;
  reject(err: Error): void;
}

export class MirrorHost implements Mirrors {
  #child?: ChildProcess;
  #ready?: Promise<ChildProcess>;
  #pending = new Map<number, Pending>();
  #nextId = 1;
  #stopped = false;
  /** Files read at a commit whose answer holds for good (repo-mirror.ts `readCommitFile`). */
  readonly #commitFiles = new CommitFileCache(KEPT_COMMIT_FILES_BYTES);
  /** Commits the host resolved to since its last fetch into their mirror, by repository URL. */
  readonly #inMirror = new KnownCommits(1_000);

  constructor(private readonly options: { dir: string; env: Record<string, string>; timeouts: GitTimeouts; log: Logger }) {}

  /** The host's process id while it runs (for the queen's health view and tests). */
  get pid(): number | undefined {
    return this.#child?.pid;
  }

  /** Starts the host now (the queen does this before opening its database). */
  start(): Promise<void> {
    return this.#ensure().then(() => undefined);
  }

  #ensure(): Promise<ChildProcess> {
    if (this.#stopped) return Promise.reject(new GitHostError('The queen is stopping'));
    this.#ready ??= new Promise<ChildProcess>((resolve, reject) => {
      // Its output is passed on, not inherited: the queen's own must stay non-blocking (child-output.ts).
      const child = fork(hostMain, [], { execArgv: [...GIT_HOST_NODE_FLAGS, ...tsxImportArgs], stdio: [...FORWARDED_STDIO, 'ipc'], serialization: 'advanced' });
      forwardChildOutput(child, 'git-host');
      this.#child = child;
      child.on('message', (message: HostReply) => {
        if (message.type === 'ready') resolve(child);
        else this.#settle(message);
      });
      child.once('error', (err) => reject(new GitHostError(`The git host could not start: ${err.message}`, { cause: err })));
      child.once('exit', (code, signal) => {
        this.#retire(child);
        const why = `The git host process exited (${signal ?? `code ${code}`})`;
        reject(new GitHostError(why));
        for (const [id, pending] of this.#pending) {
          if (pending.child !== child) continue;
          this.#pending.delete(id);
          pending.reject(new GitHostError(`${why}; the next job starts a new one`));
        }
        if (!this.#stopped) this.options.log.error({ code, signal }, 'git host exited');
      });
      child.send({ type: 'init', dir: this.options.dir, env: this.options.env, timeouts: this.options.timeouts } satisfies HostRequest);
    });
    return this.#ready;
  }

  /**
   * Stops handing calls to this child. Its exit can be noticed after a write to it has
   * already failed (EPIPE); the next call must start a new host, not write to the dead one.
   */
  #retire(child: ChildProcess): void {
    if (this.#child !== child) return;
    this.#child = undefined;
    this.#ready = undefined;
  }

  #settle(message: Exclude<HostReply, { type: 'ready' }>): void {
    const pending = this.#pending.get(message.id);
    if (!pending) return;
    this.#pending.delete(message.id);
    if (message.type === 'result') pending.resolve(message.value);
    else pending.reject(message.name === 'ResolveError' ? new ResolveError(message.message) : Object.assign(new Error(message.message), { name: message.name }));
  }

  async #call<T>(method: MirrorMethod, args: unknown[]): Promise<T> {
    const child = await this.#ensure();
    return new Promise<T>((resolve, reject) => {
      const id = this.#nextId++;
      this.#pending.set(id, { child, resolve: resolve as (v: unknown) => void, reject });
      child.send({ type: 'call', id, method, args } satisfies HostRequest, (err) => {
        if (!err) return;
        this.#pending.delete(id);
        this.#retire(child);
        child.kill('SIGKILL');
        reject(new GitHostError(`The git host is unreachable: ${err.message}`, { cause: err }));
      });
    });
  }

  /**
   * Where a branch of a repository on this disk stands is read here, from its files
   * (local-branch-tip.ts, as the host reads it), and a tip the host has answered with
   * since git's last maintenance run on that mirror is answered without a call: one round
   * trip to another process less on a manual build's way to its drone. Anything else —
   * another URL, a sha or refspec, a tip not known to be in the mirror — is the host's to
   * answer; its answers teach what is in each mirror, and one that ran git's maintenance
   * there (which may remove objects: fetch-maintenance.ts), or failed, forgets it.
   */
  async resolve(repoUrl: string, ref: RefRequest, credentials?: GitCredentials): Promise<{ sha: string }> {
    if (ref.branch && !ref.sha && !ref.refspec) {
      const tip = localBranchTip(repoUrl, `refs/heads/${ref.branch}`);
      if (tip && this.#inMirror.has(repoUrl, tip)) return { sha: tip };
    }
    let resolved: Resolved;
    try {
      resolved = await this.#call<Resolved>('resolve', [repoUrl, ref, credentials]);
    } catch (err) {
      this.#inMirror.forget(repoUrl);
      throw err;
    }
    if (resolved.maintained) this.#inMirror.forget(repoUrl);
    this.#inMirror.add(repoUrl, resolved.sha);
    return { sha: resolved.sha };
  }

  parents(...args: Parameters<Mirrors['parents']>): ReturnType<Mirrors['parents']> {
    return this.#call('parents', args);
  }

  /**
   * A file at a commit, from what this side keeps when it can: a commit's files never
   * change, and a resolution of a commit built before (a re-run, a run's jobs, a manual
   * build of a branch that has not moved) then needs no call to the host — one round trip
   * to another process less on a build's way to its drone.
   */
  async readFile(repoUrl: string, sha: string, file: string): Promise<string | undefined> {
    const kept = this.#commitFiles.get(repoUrl, sha, file);
    if (kept !== undefined) return kept ?? undefined;
    const read = await this.#call<CommitFile>('readCommitFile', [repoUrl, sha, file]);
    if (read.lasting) this.#commitFiles.set(repoUrl, sha, file, read.text ?? null);
    return read.text;
  }

  async remove(repoUrl: string): Promise<void> {
    this.#inMirror.forget(repoUrl);
    try {
      await this.#call('remove', [repoUrl]);
    } finally {
      this.#inMirror.forget(repoUrl);
    }
  }

  /** Ends the host; calls in flight fail. */
  async stop(): Promise<void> {
    this.#stopped = true;
    const child = this.#child;
    if (!child) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.disconnect();
    await exited;
  }
}
