import { lstatSync, readdirSync, type BigIntStats } from 'node:fs';
import { join } from 'node:path';

/**
 * Visits every entry under `root`, depth first and names sorted, each `lstat`ed (links are
 * not followed), with its path relative to `root` — the walk the drone makes in its own
 * thread to tell whether a tree is as it left it (tree-snapshot.ts, build-git-record.ts).
 * Entries `skip` names are not visited, nor what is under them. False, as soon as it is
 * known, for a tree of more than `maxEntries` entries; throws what reading the tree throws
 * (unreadable, gone, replaced while walked).
 */
export function walkTree(
  root: string,
  maxEntries: number,
  visit: (relative: string, path: string, stats: BigIntStats) => void,
  skip: (relative: string) => boolean = () => false,
): boolean {
  let count = 0;
  const walkDir = (dir: string, relative: string): boolean => {
    for (const name of readdirSync(dir).sort()) {
      const rel = relative === '' ? name : `${relative}/${name}`;
      if (skip(rel)) continue;
      if (count >= maxEntries) return false;
      count++;
      const path = join(dir, name);
      const stats = lstatSync(path, { bigint: true });
      visit(rel, path, stats);
      if (stats.isDirectory() && !walkDir(path, rel)) return false;
    }
    return true;
  };
  return walkDir(root, '');
}
