/**
 * The repository mirrors in the queen's own process, for a queen on PostgreSQL
 * (mirror-service.ts says when and why): the same RepoMirrors the git host runs, called
 * directly; stopping ends the fetches in flight, as the git host does when it exits.
 */
import { killAllRemoteGit } from '../../common/git/remote-git.ts';
import type { MirrorOptions, MirrorService } from './mirror-service.ts';
import { RepoMirrors } from './repo-mirror.ts';

export class InProcessMirrors implements MirrorService {
  readonly pid = undefined;
  readonly #mirrors: RepoMirrors;

  constructor(options: MirrorOptions) {
    this.#mirrors = new RepoMirrors(options.dir, options.env, options.timeouts);
  }

  async start(): Promise<void> {}

  resolve(...args: Parameters<RepoMirrors['resolve']>): ReturnType<RepoMirrors['resolve']> {
    return this.#mirrors.resolve(...args);
  }

  parents(...args: Parameters<RepoMirrors['parents']>): ReturnType<RepoMirrors['parents']> {
    return this.#mirrors.parents(...args);
  }

  readFile(...args: Parameters<RepoMirrors['readFile']>): ReturnType<RepoMirrors['readFile']> {
    return this.#mirrors.readFile(...args);
  }

  remove(...args: Parameters<RepoMirrors['remove']>): ReturnType<RepoMirrors['remove']> {
    return this.#mirrors.remove(...args);
  }

  async stop(): Promise<void> {
    killAllRemoteGit();
  }
}
