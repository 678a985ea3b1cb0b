/**
 * Whether a work tree is still exactly as an update left it, told without git: a build of
 * the same commit again (a re-run, a schedule, a matrix's next cell) then needs no
 * checkout and no clean — one shell and two git processes, ~40 ms on a two-core machine
 * where the drone starting one process costs ~10 ms.
 *
 * A snapshot is every entry of the tree (the root's `.git` aside: an update makes it anew
 * anyway) with its type, mode, size, inode and ctime, taken right after an update. The
 * tree is unchanged when a walk finds the same entries with the same values. ctime is
 * what makes that sound: every change to a file — its content, its mode, its times, a
 * rename onto it — sets its ctime to the kernel's clock, and nothing a build can call sets
 * it to anything else. A new entry, a deleted one or one replaced shows by name or inode.
 *
 * The one gap is the clock's grain: a change within the same tick as the update's own
 * write of a file would leave that file's ctime as it was. So a snapshot is kept only when
 * every entry's ctime is older than a probe file written after the walk; a change after
 * that gets the probe's ctime or a later one. Otherwise (a tree written within the tick)
 * there is no snapshot and the next update runs git, as it does for a tree of more than
 * `maxEntries` entries (the walk is made in the drone's thread and must stay short).
 */
import { createHash } from 'node:crypto';
import { lstatSync, writeFileSync, type BigIntStats } from 'node:fs';
import { walkTree } from './tree-walk.ts';

/** Beyond this many entries, git does it better than a walk in the drone's thread (1,000 entries: ~7 ms on a two-core VM). */
export const DEFAULT_SNAPSHOT_MAX_ENTRIES = 1_000;

export class TreeSnapshot {
  private constructor(
    /** How many entries the tree had. */
    readonly size: number,
    /** A digest of every entry's path and signature, in walk order (kept small: one per slot of every project). */
    private readonly digest: string,
  ) {}

  /**
   * Takes the tree's snapshot, or none when it is too large or was written too recently to
   * be told apart from a later change. `probePath` is a file outside the tree this may
   * write (it reads the kernel's clock in ctime's own grain).
   */
  static take(tree: string, probePath: string, maxEntries = DEFAULT_SNAPSHOT_MAX_ENTRIES): TreeSnapshot | undefined {
    const walked = walk(tree, maxEntries);
    if (!walked) return undefined;
    let now: bigint;
    try {
      writeFileSync(probePath, '');
      now = lstatSync(probePath, { bigint: true }).ctimeNs;
    } catch {
      return undefined; // a full disk, say: the build goes on, and the next update runs git
    }
    if (walked.newestCtime >= now) return undefined;
    return new TreeSnapshot(walked.count, walked.digest);
  }

  /** Whether the tree holds exactly the entries it held, unchanged (any error: no). */
  unchanged(tree: string): boolean {
    const walked = walk(tree, this.size);
    return walked !== undefined && walked.count === this.size && walked.digest === this.digest;
  }
}

interface Walked {
  count: number;
  digest: string;
  newestCtime: bigint;
}

/** The tree's entries and their signatures (see the file comment); undefined past `maxEntries` or on any error. */
function walk(tree: string, maxEntries: number): Walked | undefined {
  const hash = createHash('sha256');
  let count = 0;
  let newestCtime = 0n;
  try {
    const within = walkTree(tree, maxEntries, (rel, _path, stats) => {
      count++;
      // A directory's own change (mode, entries) is in its signature; its entries are walked.
      hash.update(`${rel}\0${signature(stats)}\0`);
      if (stats.ctimeNs > newestCtime) newestCtime = stats.ctimeNs;
    }, (rel) => rel === '.git');
    return within ? { count, digest: hash.digest('base64'), newestCtime } : undefined;
  } catch {
    return undefined; // unreadable, gone, replaced while walked: not known to be unchanged
  }
}

function signature(stats: BigIntStats): string {
  return `${stats.mode}:${stats.size}:${stats.ino}:${stats.dev}:${stats.ctimeNs}:${stats.nlink}`;
}
