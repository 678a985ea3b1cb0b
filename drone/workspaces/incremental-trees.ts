/**
 * Incremental workspaces: a work tree kept per project and slot, brought to each build's
 * commit instead of cloned anew (a project's `workspace: incremental`). What a build sees
 * is what a fresh clone would give it — the commit's files and a `.git` of its own — plus
 * the project's named caches (`node_modules`, …); nothing else an earlier build left.
 *
 * Layout, under `<dataDir>/workspaces/<project>/<n>/`:
 *
 *   git/        the tree's own repository: bare, its objects borrowed from the drone's
 *               cache of the repository (objects/info/alternates), its index recording
 *               what the tree holds. Outside the tree, so never mounted into a container
 *               and never written by a build's git.
 *   tree/       where the build runs (and what a container mounts at /workspace).
 *   state.json  present only while tree and index agree (tree-state.ts).
 *
 * An update (with the repository cache's lock held, after the fetch):
 *
 *   1. The state is removed; a slot that had none is made anew (new, or left half-way by
 *      a killed drone or a failed update: never trusted).
 *   2. Files the drone wrote for the previous build (uploads) are removed.
 *   3. `git checkout -f --detach <sha>` with the private repository: the commit's files,
 *      files the commit deleted removed, files a build changed restored — a change moves
 *      a file's ctime, which builds cannot set, so git's stat check sees it.
 *   4. `git clean -ffdx -e <cache>…`: everything else, ignored or not, nested
 *      repositories too, except the caches.
 *   5. `.git` entries in the commit's directories are removed (git's walk skips every
 *      entry named .git, so step 4 leaves those).
 *   6. The build's `.git`: what a clone of the cache without checkout gives (what a fresh
 *      workspace has: every branch, the real origin URL), made by hand with the cache's
 *      objects hardlinked (build-git-dir.ts; a clone where the cache's layout is not the
 *      usual one), HEAD detached at the commit, the private index copied in so `git
 *      status` is clean. The previous build's `.git` is kept when that build left it as
 *      it was made (build-git-record.ts), brought along to the cache's objects and refs
 *      as they are now; any other is made anew, so tags, config, hooks or objects a build
 *      put into it are gone with it.
 *   7. The state is written.
 *
 * A tree no build changed since its update (told by a walk of the tree against the
 * snapshot taken after that update: tree-snapshot.ts) holds that commit's files and the
 * caches, nothing else. Building the same commit again then skips steps 2–5: only the
 * build's `.git` is seen to (and with a kept one, its HEAD and index replaced). Another
 * commit (a push's) needs only step 3: no uploads to remove, and the checkout leaves
 * nothing a clean would find — it removes what it wrote for the last commit, and never
 * writes a `.git` — so the clean and the listing of the commit's directories are spared.
 *
 * A failure in 2–6 makes the slot anew and tries once more. A slot that cannot even be
 * deleted (files a container left owned by root) is moved aside and deleted as far as
 * possible, and a new one made in its place.
 */
import { randomUUID } from 'node:crypto';
import { constants, copyFileSync, lstatSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { WorkspaceSpec } from '../../common/protocol/index.ts';
import { uploadNameProblem } from '../../common/upload-files.ts';
import { workspaceCacheProblem } from '../../common/workspace-caches.ts';
import { removeTree } from '../remove-tree.ts';
import { safeDirName } from '../safe-dir-name.ts';
import { makeBuildGitDir, pointObjectsAt, refreshBuildGitDir, replaceFile, type MadeBuildGit } from './build-git-dir.ts';
import { BuildGitRecord } from './build-git-record.ts';
import { localGit, localGitScript } from './local-git.ts';
import { readTextIfExists } from './read-text.ts';
import { TreeLeases, type TreeLease } from './tree-leases.ts';
import { clearTreeState, readTreeState, writeTreeState } from './tree-state.ts';
import { TreeSnapshot } from './tree-snapshot.ts';

export interface IncrementalTreesOptions {
  /** `<dataDir>/workspaces`. */
  root: string;
  /** Host variables git may see (PATH, HOME). */
  hostEnv: Record<string, string>;
  /** Trees with more entries are always brought to their commit by git (tree-snapshot.ts). */
  snapshotMaxEntries?: number;
}

export interface TreeUpdate {
  /** The drone's bare cache of the repository, holding the commit already. */
  cacheDir: string;
  repoUrl: string;
  sha: string;
  caches: WorkspaceSpec['caches'];
  /** Names the drone will write into the tree root for this build (uploaded files). */
  droneFiles: string[];
  signal?: AbortSignal;
  progress: (line: string) => void;
  /** The build runs in a container that mounts the cache's objects read-only here: no hardlinks into the cache (build-git-dir.ts). */
  objectsAt?: string;
}

export class WorkspaceCacheError extends Error {
  override name = 'WorkspaceCacheError';
}

/** What an update does to the tree itself (see `#bringToCommit`). */
type TreeWork = 'checkout-and-clean' | 'checkout' | 'none';

/** What an update moved aside to delete later is named so. */
const ASIDE_PREFIX = 'old-git-';

export class IncrementalTrees {
  readonly #leases = new TreeLeases();
  /** Deletions of what updates moved aside, going on. */
  readonly #background = new Set<Promise<void>>();
  readonly #options: IncrementalTreesOptions;
  /** The directories of commits built lately: a build of one of them again lists nothing (a git process fewer). */
  readonly #commitDirs = new CommitDirs();
  /** Per slot, the tree as its last update left it (tree-snapshot.ts); only in memory, so a restarted drone runs git. */
  readonly #snapshots = new Map<string, { of: string; tree: TreeSnapshot }>();
  /** Per slot, its build's .git as the last update left it (build-git-record.ts); only in memory, so a restarted drone makes it anew. */
  readonly #buildGits = new Map<string, { of: string; record: BuildGitRecord }>();

  constructor(options: IncrementalTreesOptions) {
    this.#options = options;
  }

  /** A free tree of the project for the job (the one it holds already, if any). */
  lease(projectId: string, jobId: string): TreeLease {
    return this.#leases.take(projectId, jobId);
  }

  /** Gives the job's tree back for the next build; false when the job held none. */
  release(jobId: string): boolean {
    return this.#leases.release(jobId);
  }

  treePath(lease: TreeLease): string {
    return join(this.#slotDir(lease), 'tree');
  }

  /** Brings the leased tree to the commit (see the file comment). */
  async update(lease: TreeLease, update: TreeUpdate): Promise<void> {
    for (const entry of update.caches) {
      const problem = workspaceCacheProblem(entry);
      if (problem) throw new WorkspaceCacheError(`the workspace cache ${JSON.stringify(entry)} ${problem}`);
    }
    const slotDir = this.#slotDir(lease);
    // Taken out first: from here until the update is done, nothing vouches for the tree.
    const snapshot = this.#snapshots.get(slotDir);
    this.#snapshots.delete(slotDir);
    const before = await readTreeState(slotDir);
    mkdirSync(slotDir, { recursive: true });
    await clearTreeState(slotDir);
    if (before) {
      try {
        // As the last update left it (for the same caches and objects mount): no build changed it.
        const asLeft = snapshot?.of === snapshotKey({ ...update, sha: before.sha }) && snapshot.tree.unchanged(this.treePath(lease));
        if (asLeft && before.sha.toLowerCase() === update.sha.toLowerCase()) {
          update.progress(`Workspace ${lease.slot} of the project is as the last build of ${before.sha.slice(0, 7)} found it: no checkout needed (incremental)`);
          await this.#bringToCommit(slotDir, [], update, 'none');
          this.#snapshots.set(slotDir, snapshot);
          return;
        }
        if (asLeft) {
          update.progress(`Updating workspace ${lease.slot} of the project from ${before.sha.slice(0, 7)}, as the last build found it: checkout only (incremental)`);
          await this.#bringToCommit(slotDir, [], update, 'checkout');
        } else {
          update.progress(`Updating workspace ${lease.slot} of the project from ${before.sha.slice(0, 7)} (incremental)`);
          await this.#bringToCommit(slotDir, before.droneFiles, update);
        }
        this.#snapshot(slotDir, update);
        return;
      } catch (err) {
        if (update.signal?.aborted) throw err;
        update.progress(`Workspace ${lease.slot} could not be updated (${(err as Error).message}); making it anew`);
      }
    } else {
      update.progress(`Making workspace ${lease.slot} of the project (incremental)`);
    }
    await this.#makeSlotAnew(slotDir, update.signal);
    await this.#bringToCommit(slotDir, [], update);
    this.#snapshot(slotDir, update);
  }

  /** Remembers the tree as the update left it, when it can be told unchanged later (tree-snapshot.ts). */
  #snapshot(slotDir: string, update: TreeUpdate): void {
    const tree = TreeSnapshot.take(join(slotDir, 'tree'), join(slotDir, 'ctime-probe'), this.#options.snapshotMaxEntries);
    if (tree) this.#snapshots.set(slotDir, { of: snapshotKey(update), tree });
  }

  /** Resolves once the deletions going on in the background are done (tests). */
  async backgroundDone(): Promise<void> {
    while (this.#background.size > 0) await Promise.all(this.#background);
  }

  #inBackground(work: Promise<unknown>): void {
    const done = work.then(() => {}, () => {}).finally(() => this.#background.delete(done));
    this.#background.add(done);
  }

  /**
   * Takes the previous build's `.git` out of the tree with one rename and deletes it in the
   * background: deleting it in place (tens of files) cost ~10 ms on the update's path. What
   * a stopped drone left aside is swept by a later update. A `.git` that cannot be moved (a
   * build made the tree read-only) is deleted in place.
   */
  async #discardBuildGit(slotDir: string, tree: string): Promise<void> {
    this.#inBackground(readdir(slotDir).then((names) => Promise.all(
      names.filter((n) => n.startsWith(ASIDE_PREFIX)).map((n) => removeTree(join(slotDir, n))),
    )));
    const aside = join(slotDir, `${ASIDE_PREFIX}${randomUUID()}`);
    try {
      renameSync(join(tree, '.git'), aside);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      await removeTree(join(tree, '.git'));
      return;
    }
    this.#inBackground(removeTree(aside));
  }

  #slotDir(lease: TreeLease): string {
    return join(this.#options.root, safeDirName(lease.projectId), String(lease.slot));
  }

  /**
   * `work`: what the tree needs — steps 2–5 (`'checkout-and-clean'`); only the checkout
   * (`'checkout'`: the tree is as the last update left it, at another commit); nothing
   * (`'none'`: as the last update left it at this commit). Only the `.git` is seen to always.
   */
  async #bringToCommit(slotDir: string, droneFiles: string[], update: TreeUpdate, work: TreeWork = 'checkout-and-clean'): Promise<void> {
    const tree = join(slotDir, 'tree');
    const privateGit = join(slotDir, 'git');
    const git = (args: string[], cwd = tree) => localGit(args, { cwd, env: this.#options.hostEnv, signal: update.signal });
    // The cache may have moved (another repository URL, a re-created cache): point there each time.
    // (The few small file operations of an update are made in the drone's thread: each
    // through the thread pool cost more, waiting for its turn, than the operation.)
    const alternates = join(privateGit, 'objects', 'info', 'alternates');
    const cacheObjects = `${join(update.cacheDir, 'objects')}\n`;
    if (readTextIfExists(alternates) !== cacheObjects) {
      mkdirSync(join(privateGit, 'objects', 'info'), { recursive: true });
      writeFileSync(alternates, cacheObjects);
    }
    for (const name of droneFiles) {
      if (uploadNameProblem(name) === undefined) await removeTree(join(tree, name));
    }

    const cleanTree = async () => {
      if (work === 'none') return;
      if (work === 'checkout') {
        // The tree holds the last commit's files and the caches, nothing else (the snapshot
        // says so): a checkout removes the files that commit had and this one lacks, and
        // writes no `.git` (git refuses such paths), so a clean would find nothing.
        await localGit(['--git-dir=' + privateGit, '--work-tree=' + tree, '-c', 'advice.detachedHead=false', 'checkout', '--quiet', '--force', '--detach', update.sha], {
          cwd: tree, env: this.#options.hostEnv, signal: update.signal,
        });
        return;
      }
      // Checkout, clean and the listing of the commit's directories in one shell: the drone
      // starts one process, not three (starting one from the drone's big process blocks its
      // thread for a few milliseconds; the shell starts git for a fraction of that).
      const known = this.#commitDirs.get(update.sha);
      const listed = await localGitScript(CHECKOUT_AND_CLEAN, [privateGit, tree, update.sha, known ? '-' : 'list', ...update.caches.flatMap((c) => ['-e', c])], {
        cwd: tree, env: this.#options.hostEnv, signal: update.signal,
      });
      const dirs = known ?? this.#commitDirs.remember(update.sha, listed.split('\0').filter(Boolean));
      await removeNestedGitDirs(tree, dirs);
    };
    const cloneForBuild = async (): Promise<{ temp: string; made?: MadeBuildGit }> => {
      const temp = join(slotDir, `clone-${randomUUID()}`);
      try {
        // Made by hand when the cache's layout allows (build-git-dir.ts), else cloned.
        const made = await makeBuildGitDir(update.cacheDir, update.repoUrl, join(temp, '.git'), update.objectsAt);
        if (made) return { temp, made };
        await removeTree(temp);
        await git(['clone', '--no-checkout', '--quiet', ...(update.objectsAt ? ['--shared'] : []), update.cacheDir, temp], slotDir);
        // Builds that look at their remote should see the real one, not the cache.
        await setOriginUrl(join(temp, '.git', 'config'), update.repoUrl);
        // Nothing on this side reads the build's objects: the checkout is the private repository's.
        if (update.objectsAt) pointObjectsAt(join(temp, '.git'), update.objectsAt);
        return { temp };
      } catch (err) {
        await removeTree(temp).catch(() => {});
        throw err;
      }
    };
    // The previous build's .git, when no build touched it (build-git-record.ts), brought
    // along to the cache as it is now; else a new one, the old one moved aside. (Side by
    // side with the checkout: the private repository's checkout never looks at the
    // tree's .git. Both are waited for even when one fails: the slot may be made anew
    // right after.)
    const dotGit = join(tree, '.git');
    const kept = this.#buildGits.get(slotDir);
    this.#buildGits.delete(slotDir);
    const placeBuildGit = async (): Promise<{ temp?: string; made?: MadeBuildGit; record?: BuildGitRecord }> => {
      if (kept && kept.of === buildGitKey(update) && kept.record.unchanged(dotGit)) {
        // A refresh that fails half-way (an object file gone while linked: a `git gc` of
        // the cache) leaves a .git that is then moved aside like any other.
        const refreshed = await refreshBuildGitDir(kept.record.made, update.cacheDir, update.repoUrl, dotGit, update.objectsAt).catch(() => undefined);
        // Nothing brought along: the record still holds (HEAD and index are not in it).
        if (refreshed) return refreshed.changed ? { made: refreshed.made } : { made: refreshed.made, record: kept.record };
      }
      const [cloned, removed] = await Promise.allSettled([cloneForBuild(), this.#discardBuildGit(slotDir, tree)]);
      if (cloned.status === 'rejected') throw cloned.reason;
      if (removed.status === 'rejected') {
        await rm(cloned.value.temp, { recursive: true, force: true }).catch(() => {});
        throw removed.reason;
      }
      return cloned.value;
    };
    const [cleaned, placed] = await Promise.allSettled([cleanTree(), placeBuildGit()]);
    if (placed.status === 'rejected') throw placed.reason;
    const { temp, made, record: stillHolds } = placed.value;
    try {
      if (cleaned.status === 'rejected') throw cleaned.reason;
      if (temp) renameSync(join(temp, '.git'), dotGit);
      // Replaced, not written through: a kept .git's HEAD or index may be a link a build made.
      rmSync(join(dotGit, 'index'), { force: true });
      copyFileSync(join(privateGit, 'index'), join(dotGit, 'index'), constants.COPYFILE_EXCL);
      replaceFile(join(dotGit, 'HEAD'), `${update.sha}\n`);
    } finally {
      if (temp) await rm(temp, { recursive: true, force: true });
    }
    const record = stillHolds ?? (made && BuildGitRecord.take(dotGit, made, update.cacheDir));
    if (record) this.#buildGits.set(slotDir, { of: buildGitKey(update), record });
    await writeTreeState(slotDir, { sha: update.sha, droneFiles: update.droneFiles });
  }

  async #makeSlotAnew(slotDir: string, signal: AbortSignal | undefined): Promise<void> {
    try {
      await removeTree(slotDir);
    } catch {
      // Files a container left owned by another user: move the slot out of the way.
      const aside = join(slotDir, '..', `.broken-${randomUUID()}`);
      await rename(slotDir, aside);
      await removeTree(aside).catch(() => {});
    }
    await mkdir(join(slotDir, 'tree'), { recursive: true });
    // No template: no hooks or excludes of the host's git installation in the private repository.
    await localGit(['init', '--bare', '--quiet', '--template=', join(slotDir, 'git')], { cwd: slotDir, env: this.#options.hostEnv, signal });
  }
}

/** What a kept build's .git must have been made for: the same repository URL (its origin) and objects mount. */
function buildGitKey(update: TreeUpdate): string {
  return JSON.stringify([update.repoUrl, update.objectsAt ?? null]);
}

/**
 * What else a tree left unchanged must have been updated for: the same named caches (git
 * clean kept those paths and no others) and the same objects mount (the build's `.git`).
 */
function snapshotKey(update: TreeUpdate): string {
  return JSON.stringify([update.sha.toLowerCase(), update.caches, update.objectsAt ?? null]);
}

/**
 * `git remote set-url origin <url>` without a git process (one fewer on every update): the
 * clone's config has exactly one `url` under `[remote "origin"]`, the cache's path. The
 * URL (no whitespace or control characters: checkout.ts validates it) is written quoted,
 * `\` and `"` escaped, as git reads a quoted value.
 */
async function setOriginUrl(configPath: string, url: string): Promise<void> {
  const config = await readFile(configPath, 'utf8');
  const section = /^\[remote "origin"\]\n(?:[ \t].*\n)*?([ \t]*url = .*)$/m.exec(config);
  if (!section) throw new Error('the clone has no origin URL to replace');
  const at = section.index + section[0].length - section[1].length;
  const quoted = `"${url.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
  await writeFile(configPath, `${config.slice(0, at)}\turl = ${quoted}${config.slice(at + section[1].length)}`);
}

/**
 * A commit's directories, by commit: a commit never changes, so neither does its list.
 * Bounded by the directories kept, all commits together; a list longer than that is not kept.
 */
class CommitDirs {
  readonly #lists = new Map<string, string[]>();
  #entries = 0;

  constructor(private readonly maxEntries = 100_000) {}

  get(sha: string): string[] | undefined {
    return this.#lists.get(sha.toLowerCase());
  }

  remember(sha: string, dirs: string[]): string[] {
    if (dirs.length > this.maxEntries) return dirs;
    const key = sha.toLowerCase();
    this.#entries += dirs.length - (this.#lists.get(key)?.length ?? 0);
    this.#lists.delete(key); // the newest last, so the oldest go first
    this.#lists.set(key, dirs);
    for (const [old, list] of this.#lists) {
      if (this.#entries <= this.maxEntries) break;
      this.#lists.delete(old);
      this.#entries -= list.length;
    }
    return dirs;
  }
}

/** Removes `<dir>/.git` for each of the commit's directories (a build may have made one). */
async function removeNestedGitDirs(tree: string, dirs: string[]): Promise<void> {
  // Looked for in this thread (a few µs each); the rare one found is removed in the pool.
  const found = dirs.map((d) => join(tree, d, '.git')).filter((path) => {
    try {
      lstatSync(path);
      return true;
    } catch {
      return false;
    }
  });
  await Promise.all(found.map((path) => removeTree(path)));
}

/**
 * Steps 3 and 4 (and the listing step 5 needs) for `sh -c`: $1 the private repository,
 * $2 the tree, $3 the commit, $4 `list` when the commit's directories are wanted (else
 * `-`), the rest `-e <cache>` pairs for clean. The commit's directories (ls-tree, from
 * objects only, beside the checkout) are its output.
 */
const CHECKOUT_AND_CLEAN = `g=$1 w=$2 s=$3 list=$4
shift 4
dirs=
if [ "$list" = list ]; then git --git-dir="$g" ls-tree -r -d -z --name-only "$s" & dirs=$!; fi
git --git-dir="$g" --work-tree="$w" -c advice.detachedHead=false checkout --quiet --force --detach "$s" || { [ -z "$dirs" ] || wait $dirs; exit 1; }
git --git-dir="$g" --work-tree="$w" clean -ffdxq "$@" || { [ -z "$dirs" ] || wait $dirs; exit 1; }
[ -z "$dirs" ] || wait $dirs`;
