/**
 * The repository mirrors in the queen's own process, for a queen on PostgreSQL
 * (mirror-service.ts says when and why): the same RepoMirrors the git host runs, called
 * directly; stopping ends the fetches in flight and waits for the calls still running, as
 * the git host does before it exits.
 */
import { CallsInFlight, STOP_DRAIN_MS } from './calls-in-flight.ts';
import { GitHostError } from './mirror-host-client.ts';
import type { MirrorOptions, MirrorService } from './mirror-service.ts';
import { RepoMirrors } from './repo-mirror.ts';

export class InProcessMirrors implements MirrorService {
  readonly pid = undefined;
  readonly #mirrors: RepoMirrors;
  readonly #calls = new CallsInFlight();

  constructor(options: MirrorOptions) {
    this.#mirrors = new RepoMirrors(options.dir, options.env, options.timeouts);
  }

  async start(): Promise<void> {}

  resolve(...args: Parameters<RepoMirrors['resolve']>): ReturnType<RepoMirrors['resolve']> {
    return this.#calls.track(() => this.#mirrors.resolve(...args));
  }

  parents(...args: Parameters<RepoMirrors['parents']>): ReturnType<RepoMirrors['parents']> {
    return this.#calls.track(() => this.#mirrors.parents(...args));
  }

  readFile(...args: Parameters<RepoMirrors['readFile']>): ReturnType<RepoMirrors['readFile']> {
    return this.#calls.track(() => this.#mirrors.readFile(...args));
  }

  remove(...args: Parameters<RepoMirrors['remove']>): ReturnType<RepoMirrors['remove']> {
    return this.#calls.track(() => this.#mirrors.remove(...args));
  }

  stop(): Promise<void> {
    // As the git host's stop fails its calls: the resolver leaves their jobs queued for
    // the next start instead of failing them for the queen's sake.
    this.#mirrors.stop(new GitHostError('The queen is stopping'));
    return this.#calls.drain(STOP_DRAIN_MS);
  }
}
