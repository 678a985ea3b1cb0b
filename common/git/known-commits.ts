/**
 * Commits known to be in a repository on disk — the queen's mirror, a drone's cache — so
 * that asking whether one is there costs no git process. Kept by scope: a repository's
 * path, or a path and what else the answer depends on (`<path>\n<more>`); forgetting a
 * path forgets all its scopes. Bounded: past the limit the oldest go first. In memory only.
 */
export class KnownCommits {
  readonly #keys = new Set<string>();

  constructor(private readonly limit = 10_000) {}

  has(scope: string, sha: string): boolean {
    return this.#keys.has(key(scope, sha));
  }

  add(scope: string, sha: string): void {
    const k = key(scope, sha);
    this.#keys.delete(k); // the newest last, so the oldest go first
    this.#keys.add(k);
    if (this.#keys.size > this.limit) this.#keys.delete(this.#keys.values().next().value!);
  }

  delete(scope: string, sha: string): void {
    this.#keys.delete(key(scope, sha));
  }

  /** Forgets every commit of the path's scopes (the repository was fetched into, or made anew). */
  forget(path: string): void {
    const prefix = `${path}\n`;
    for (const k of this.#keys) if (k.startsWith(prefix)) this.#keys.delete(k);
  }
}

const key = (scope: string, sha: string) => `${scope}\n${sha.toLowerCase()}`;
