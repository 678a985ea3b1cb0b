/**
 * Files read at a commit, kept: a commit's tree never changes, so `.hive.yml` at a sha is
 * read from git once however many jobs build that commit (a run of 100, a matrix, a
 * re-run). Keys are full object ids only — a branch name or a short sha could come to
 * mean another commit. Bounded by the bytes it holds; the least recently used go first.
 */
import { isObjectId } from '../../common/git/object-id.ts';

export class CommitFileCache {
  /** Text, or null for a file the commit does not have. */
  readonly #files = new Map<string, string | null>();
  #bytes = 0;

  constructor(private readonly maxBytes: number) {}

  /** The kept text, null when the commit has no such file, undefined when not kept. */
  get(repoUrl: string, sha: string, file: string): string | null | undefined {
    const key = keyOf(repoUrl, sha, file);
    const text = this.#files.get(key);
    if (text === undefined) return undefined;
    // Most recently used last: eviction takes the first.
    this.#files.delete(key);
    this.#files.set(key, text);
    return text;
  }

  set(repoUrl: string, sha: string, file: string, text: string | null): void {
    if (!isObjectId(sha)) return;
    const key = keyOf(repoUrl, sha, file);
    const size = sizeOf(key, text);
    if (size > this.maxBytes) return;
    this.#remove(key);
    this.#files.set(key, text);
    this.#bytes += size;
    for (const [oldest, kept] of this.#files) {
      if (this.#bytes <= this.maxBytes) break;
      this.#files.delete(oldest);
      this.#bytes -= sizeOf(oldest, kept);
    }
  }

  /** Bytes held (for tests). */
  get bytes(): number {
    return this.#bytes;
  }

  #remove(key: string): void {
    const kept = this.#files.get(key);
    if (kept === undefined) return;
    this.#files.delete(key);
    this.#bytes -= sizeOf(key, kept);
  }
}

const keyOf = (repoUrl: string, sha: string, file: string) => `${repoUrl}\0${sha}\0${file}`;
/** UTF-16 code units, as a string takes them in memory (twice this in bytes at most). */
const sizeOf = (key: string, text: string | null) => key.length + (text?.length ?? 0);
