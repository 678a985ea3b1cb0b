/**
 * Whether a build's `.git` is still exactly as the drone made it (build-git-dir.ts), so
 * that the next build of the slot can keep it — brought along to the cache's new refs and
 * objects — instead of a new one being made and the old one deleted: ~10 ms of the
 * drone's thread on the path of a trivial build, most of it the deletion's file
 * operations competing with the build's own.
 *
 * A record lists every entry of the `.git` with what identifies it, taken right after the
 * update, and the `.git` is unchanged when a walk finds the same entries, each the same:
 *
 *   - a directory: the same directory (inode), mode and owner;
 *   - a file the drone wrote (config, packed-refs, a ref, alternates): a regular file with
 *     the same mode, owner and text — read and compared, since a change made within the
 *     clock's tick of the drone's own write would not show in its ctime;
 *   - an object file linked from the cache: still the cache's own file (the same inode as
 *     the cache's file of that name, which the cache keeps alive, so no new file can have
 *     it), with the same mode and owner — or one the cache no longer has (a `git gc`),
 *     which the refresh unlinks. Not its ctime or link count, which other slots' links to
 *     the same file change. Changing an object file in place would change the cache's
 *     own copy too (it is the same file), and is no more possible than before;
 *   - HEAD and index: only that each is a regular file (or absent): every update replaces
 *     both, and a build's `git status` rewrites the index.
 *
 * Anything else — a new entry (a tag, a hook, FETCH_HEAD, a loose object a build's commit
 * wrote), one gone, a symbolic link where a file was — and the `.git` is made anew. A
 * `.git` of more than `maxEntries` entries (a cache of many loose objects) gets no record:
 * the walk is made in the drone's thread and must stay short.
 */
import { lstatSync, readFileSync, type BigIntStats } from 'node:fs';
import { join } from 'node:path';
import type { MadeBuildGit } from './build-git-dir.ts';
import { DEFAULT_SNAPSHOT_MAX_ENTRIES } from './tree-snapshot.ts';
import { walkTree } from './tree-walk.ts';

/** Replaced by every update, whatever a build did to them. */
const REPLACED = new Set(['HEAD', 'index']);

export class BuildGitRecord {
  private constructor(
    /** What the `.git` was made of (its objects, the files written and their text). */
    readonly made: MadeBuildGit,
    /** The drone's cache of the repository, whose object files the `.git` links. */
    private readonly cacheDir: string,
    private readonly entries: Map<string, string>,
  ) {}

  /**
   * The `.git` at `gitDir` as it is now, made as `made` says from `cacheDir`; undefined
   * when it is too large or cannot be read.
   */
  static take(gitDir: string, made: MadeBuildGit, cacheDir: string, maxEntries = DEFAULT_SNAPSHOT_MAX_ENTRIES): BuildGitRecord | undefined {
    const entries = walk(gitDir, made, cacheDir, maxEntries);
    return entries && new BuildGitRecord(made, cacheDir, entries);
  }

  /** Whether the `.git` at `gitDir` holds exactly the recorded entries, unchanged (any error: no). */
  unchanged(gitDir: string): boolean {
    const now = walk(gitDir, this.made, this.cacheDir, this.entries.size - 1);
    if (!now || now.size !== this.entries.size) return false;
    for (const [path, signature] of now) if (this.entries.get(path) !== signature) return false;
    return true;
  }
}

/**
 * Every entry's signature (see the file comment), by its path in the `.git` ('' for the
 * `.git` itself); undefined past `maxEntries` entries in it or on any error.
 */
function walk(gitDir: string, made: MadeBuildGit, cacheDir: string, maxEntries: number): Map<string, string> | undefined {
  const objects = new Set(made.objects.map((f) => `objects/${f}`));
  try {
    const root = lstatSync(gitDir, { bigint: true });
    if (!root.isDirectory()) return undefined;
    const entries = new Map([['', owned('d', root, root.ino)]]);
    const within = walkTree(gitDir, maxEntries, (rel, path, stats) => {
      entries.set(rel, signature(rel, path, stats, made, objects.has(rel) ? join(cacheDir, rel) : undefined));
    });
    return within ? entries : undefined;
  } catch {
    return undefined; // gone, unreadable, replaced while walked: not known to be unchanged
  }
}

/**
 * `cacheFile`: the cache's file this entry was linked from, for an object file. Entries of
 * no kind the drone made (a new one, a link, a file where none was written) need no more
 * than their kind: their path alone is not in the record.
 */
function signature(rel: string, path: string, stats: BigIntStats, made: MadeBuildGit, cacheFile: string | undefined): string {
  if (REPLACED.has(rel)) return stats.isFile() ? 'replaced' : 'not a file';
  if (stats.isDirectory()) return owned('d', stats, stats.ino);
  const text = made.written.get(rel);
  if (text !== undefined && stats.isFile()) {
    // Read only when it is the size written: any other size is a change already.
    const same = stats.size === BigInt(Buffer.byteLength(text)) && readFileSync(path, 'utf8') === text;
    return owned(same ? 'w' : 'w-changed', stats);
  }
  if (cacheFile !== undefined && stats.isFile()) {
    const cached = lstatSync(cacheFile, { bigint: true, throwIfNoEntry: false });
    const linked = cached === undefined || (cached.ino === stats.ino && cached.dev === stats.dev);
    return owned('o', stats, linked ? 'linked' : stats.ino);
  }
  return `other ${stats.mode}`;
}

function owned(kind: string, stats: BigIntStats, more: unknown = ''): string {
  return `${kind}:${stats.mode}:${stats.uid}:${stats.gid}:${stats.dev}:${more}`;
}
