/**
 * A file at a commit (and a commit's parents) read from the mirror's loose objects — the commit, the trees on the
 * file's path and the blob — without `git cat-file`: a push's fetch leaves the new commit
 * and its trees loose, and the file (`.hive.yml`) is loose too unless a gc packed it. One
 * git process less (~9 ms here) on a new commit's resolution. Any object on the way that
 * is not loose, or a repository of another object format, is undefined: the caller asks
 * git (read-blob.ts), whose answers these mirror — a symbolic link is the blob of its
 * target's path, a directory or a submodule not a file.
 */
import { commitHeader, readLooseObject, treeEntries } from '../../common/git/loose-object.ts';
import type { BlobResult } from './read-blob.ts';

/**
 * Commits and trees past this are left to git: a repository could push a tree of millions
 * of entries, and this reads each object whole (a commit of a few KiB and trees of a few
 * hundred entries are the usual).
 */
const MAX_COMMIT_OR_TREE_BYTES = 4 * 1024 * 1024;

/** The type git gives an entry of each mode. */
const TYPE_OF_MODE: Record<string, string> = { '40000': 'tree', '160000': 'commit', '100644': 'blob', '100755': 'blob', '120000': 'blob' };

/** The header (tree, parents) of the loose commit `sha`, named by its full SHA-1; else undefined. */
async function looseCommit(gitDir: string, sha: string): Promise<{ tree: string; parents: string[] } | undefined> {
  if (!/^[0-9a-f]{40}$/.test(sha)) return undefined;
  const commit = await readLooseObject(gitDir, sha, MAX_COMMIT_OR_TREE_BYTES);
  return commit?.type === 'commit' ? commitHeader(commit.body) : undefined;
}

export async function looseCommitFile(gitDir: string, sha: string, file: string, maxBytes: number): Promise<BlobResult | undefined> {
  const tree = (await looseCommit(gitDir, sha))?.tree;
  if (!tree) return undefined;
  const names = file.split('/');
  if (names.some((name) => name === '' || name === '.' || name === '..')) return undefined;
  let entry = { mode: '40000', sha: tree };
  for (const name of names) {
    if (entry.mode !== '40000') return { kind: 'missing' }; // a path through a file
    const object = await readLooseObject(gitDir, entry.sha, MAX_COMMIT_OR_TREE_BYTES);
    if (object?.type !== 'tree') return undefined;
    const entries = treeEntries(object.body);
    if (!entries) return undefined;
    const next = entries.get(name);
    if (!next) return { kind: 'missing' };
    entry = next;
  }
  const type = TYPE_OF_MODE[entry.mode];
  if (!type) return undefined;
  if (type !== 'blob') return { kind: 'not-a-file', type };
  // Larger than maxBytes: undefined, and git's header gives the size for the refusal.
  const blob = await readLooseObject(gitDir, entry.sha, maxBytes);
  if (blob?.type !== 'blob' || blob.body.length > maxBytes) return undefined;
  return { kind: 'blob', text: blob.body.toString('utf8') };
}

/**
 * A loose commit's parents as its object records them (what a pull request's merge commit
 * is checked against: pull-request-ref.ts), or undefined when it is not loose.
 */
export async function looseCommitParents(gitDir: string, sha: string): Promise<string[] | undefined> {
  return (await looseCommit(gitDir, sha))?.parents;
}
