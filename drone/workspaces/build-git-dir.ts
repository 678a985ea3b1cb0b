/**
 * The `.git` an incremental workspace's build gets, made without a git process: what
 * `git clone --no-checkout --template= <cache>` would make — the cache's objects hardlinked
 * for a build run as plain processes, or for a build in a container an alternates file
 * pointing where the container mounts them read-only (a hardlink would let its root write
 * into the cache; a host path in alternates would not exist in the container) — every
 * branch as `refs/remotes/origin/*` and its tags, the branch the cache's HEAD names as the
 * local branch with `origin/HEAD` pointing at it, and the repository's real URL as origin.
 * A clone cost ~20–30 ms on this machine (git starts, and starts `git-upload-pack` to list
 * the refs), the largest step of an incremental update; this costs a few milliseconds.
 * A `.git` no build touched since is brought along to a later state of the cache instead
 * (`refreshBuildGitDir`): the objects the cache gained linked, those it lost unlinked, the
 * refs rewritten.
 *
 * Only the layout a drone's cache has is handled (a bare repository `git init` made and
 * `git fetch` filled: SHA-1, files for refs, not shallow). Anything else — extensions,
 * a shallow or partial cache, a file that vanished while being linked (a `git gc` of the
 * cache) — answers undefined, and the caller clones as before.
 */
import { linkSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { link } from 'node:fs/promises';
import { join } from 'node:path';
import { isObjectId } from '../../common/git/object-id.ts';
import { readTextIfExists } from './read-text.ts';

/** A ref of the cache: its object, and for an annotated tag packed with it, what it peels to. */
interface CacheRef {
  sha: string;
  peeled?: string;
}

const LOOSE_DIR = /^[0-9a-f]{2}$/;
const PACK_FILE = /^pack-[0-9a-f]{40}\.(pack|idx|rev|bitmap|mtimes)$/;
/** Links made at once when there are many: enough to keep libuv's threads busy. */
const LINKS_AT_ONCE = 32;
/**
 * Up to this many object files are linked in the drone's own thread (~10 µs each), as
 * every other step here is: a few dozen small file operations cost less done at once
 * than each through the thread pool (~0.2 ms a round trip; the whole was 5–7 ms). More
 * (a cache with thousands of loose objects) go through the pool, so as not to hold the
 * drone's thread for tens of milliseconds.
 */
const LINKS_IN_THREAD = 256;


/**
 * What a build's `.git` was made of: enough to tell later whether a build touched it
 * (build-git-record.ts) and to bring it along to a later state of the cache.
 */
export interface MadeBuildGit {
  /** The cache's object files linked, relative to objects/ (none when they are reached through alternates). */
  objects: string[];
  /** Each file written, relative to the `.git`, with its text; HEAD aside (every update writes it anew). */
  written: Map<string, string>;
  /** The local branch: the one the cache's HEAD names, when the cache has it. */
  local: string | undefined;
}

/** What a `.git` made from the cache as it is now holds; undefined for a layout this does not handle. */
interface BuildGitPlan extends MadeBuildGit {
  head: string;
}

function planBuildGit(cacheDir: string, repoUrl: string, objectsAt: string | undefined): BuildGitPlan | undefined {
  const cacheConfig = readTextIfExists(join(cacheDir, 'config'));
  if (cacheConfig === undefined || /^\s*\[extensions\]/im.test(cacheConfig)) return undefined;
  const entries = readdirSync(cacheDir);
  if (entries.includes('shallow') || !entries.includes('objects')) return undefined;
  const refs = readCacheRefs(cacheDir);
  const objects = refs && (objectsAt ? [] : objectFiles(join(cacheDir, 'objects')));
  if (!refs || !objects) return undefined;

  // The cache's HEAD names the branch a clone would check out, if the cache has it.
  const headBranch = /^ref: refs\/heads\/(\S+)\s*$/.exec(readTextIfExists(join(cacheDir, 'HEAD')) ?? '')?.[1];
  const local = headBranch && refs.has(`refs/heads/${headBranch}`) ? headBranch : undefined;
  const lines: string[] = [];
  for (const [name, ref] of [...refs.entries()].map(([n, r]) => [n.replace(/^refs\/heads\//, 'refs/remotes/origin/'), r] as const).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    lines.push(`${ref.sha} ${name}`);
    if (ref.peeled) lines.push(`^${ref.peeled}`);
  }
  const written = new Map<string, string>([
    ['packed-refs', lines.map((l) => `${l}\n`).join('')],
    ['config', configText(repoUrl, local)],
  ]);
  if (objectsAt) written.set('objects/info/alternates', `${objectsAt}\n`);
  if (local) {
    written.set(`refs/heads/${local}`, `${refs.get(`refs/heads/${local}`)!.sha}\n`);
    written.set('refs/remotes/origin/HEAD', `ref: refs/remotes/origin/${local}\n`);
  }
  return { objects: objects.sort(), written, local, head: `ref: refs/heads/${local ?? headBranch ?? 'main'}\n` };
}

/**
 * Makes `gitDir` (which must not exist) for a build; undefined when the cache's layout is
 * not one this handles. `objectsAt`: the build runs in a container that mounts the cache's
 * objects read-only there — no hardlinks then, an alternates file pointing at it
 * (drone/checkout.ts says why).
 */
export async function makeBuildGitDir(cacheDir: string, repoUrl: string, gitDir: string, objectsAt?: string): Promise<MadeBuildGit | undefined> {
  const plan = planBuildGit(cacheDir, repoUrl, objectsAt);
  if (!plan) return undefined;
  for (const d of ['objects/info', 'objects/pack', 'refs/heads', 'refs/tags', 'refs/remotes/origin']) mkdirSync(join(gitDir, d), { recursive: true });
  for (const d of looseDirs(plan.objects)) mkdirSync(join(gitDir, 'objects', d));
  if (!(await linkAll(plan.objects.map((f) => [join(cacheDir, 'objects', f), join(gitDir, 'objects', f)])))) return undefined;
  for (const [path, text] of plan.written) {
    if (path.startsWith('refs/heads/')) mkdirSync(join(gitDir, path, '..'), { recursive: true });
    writeFileSync(join(gitDir, path), text);
  }
  writeFileSync(join(gitDir, 'HEAD'), plan.head);
  const { head: _, ...made } = plan;
  return made;
}

/**
 * Brings a build's `.git` that no build touched since it was made (build-git-record.ts
 * tells) to the cache as it is now — as `makeBuildGitDir` would make it, without making
 * it anew: the object files the cache gained are linked and those it lost unlinked, and
 * the refs rewritten when they moved. Undefined, with nothing changed, when that is not a
 * matter of objects and refs (another local branch, another layout): the caller makes it
 * anew. Files are replaced, never written through: whatever is there is removed first.
 * A failure half-way (an object file gone while being linked) rejects, the `.git` partly
 * brought along: the caller makes it anew then too. `changed`: whether anything had to be
 * brought along.
 */
export async function refreshBuildGitDir(
  made: MadeBuildGit, cacheDir: string, repoUrl: string, gitDir: string, objectsAt?: string,
): Promise<{ made: MadeBuildGit; changed: boolean } | undefined> {
  const plan = planBuildGit(cacheDir, repoUrl, objectsAt);
  if (!plan || plan.local !== made.local || plan.written.size !== made.written.size) return undefined;
  for (const path of plan.written.keys()) if (!made.written.has(path)) return undefined;

  const before = new Set(made.objects);
  const after = new Set(plan.objects);
  const gained = plan.objects.filter((f) => !before.has(f));
  const dirsBefore = new Set(looseDirs(made.objects));
  for (const d of looseDirs(gained)) if (!dirsBefore.has(d)) mkdirSync(join(gitDir, 'objects', d), { recursive: true });
  if (!(await linkAll(gained.map((f) => [join(cacheDir, 'objects', f), join(gitDir, 'objects', f)])))) {
    throw new Error('an object file of the cache could not be linked');
  }
  const lost = made.objects.filter((f) => !after.has(f));
  for (const f of lost) rmSync(join(gitDir, 'objects', f), { force: true });
  const rewritten = [...plan.written].filter(([path, text]) => made.written.get(path) !== text);
  for (const [path, text] of rewritten) replaceFile(join(gitDir, path), text);
  const { head: _, ...refreshed } = plan;
  return { made: refreshed, changed: gained.length + lost.length + rewritten.length > 0 };
}

/**
 * Writes `text` as a new file at `path`, whatever was there: a file a build replaced by a
 * symbolic link is not written through (a directory there fails).
 */
export function replaceFile(path: string, text: string): void {
  rmSync(path, { force: true });
  writeFileSync(path, text, { flag: 'wx' });
}

/** The loose-object directories (`ab`) of these object files. */
function looseDirs(objects: string[]): string[] {
  return [...new Set(objects.filter((f) => !f.startsWith('pack/')).map((f) => f.split('/')[0]))];
}

/** Makes `gitDir` borrow its objects from `objectsAt` (alternates), where a container mounts the cache's read-only. */
export function pointObjectsAt(gitDir: string, objectsAt: string): void {
  writeFileSync(join(gitDir, 'objects', 'info', 'alternates'), `${objectsAt}\n`);
}

/** A config as a clone writes it; values quoted, `\` and `"` escaped, as git reads them. */
function configText(repoUrl: string, branch: string | undefined): string {
  const quote = (s: string) => `"${s.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
  return [
    '[core]',
    '\trepositoryformatversion = 0',
    '\tfilemode = true',
    '\tbare = false',
    '\tlogallrefupdates = true',
    '[remote "origin"]',
    `\turl = ${quote(repoUrl)}`,
    '\tfetch = +refs/heads/*:refs/remotes/origin/*',
    ...(branch ? [`[branch ${quote(branch)}]`, '\tremote = origin', `\tmerge = ${quote(`refs/heads/${branch}`)}`] : []),
    '',
  ].join('\n');
}

/**
 * The cache's branches and tags: its packed-refs, overridden by loose ref files (the ones
 * a fetch writes). Undefined when something is not as expected (a ref that is not an
 * object id, a symbolic ref among them).
 */
function readCacheRefs(cacheDir: string): Map<string, CacheRef> | undefined {
  const refs = new Map<string, CacheRef>();
  const packed = readTextIfExists(join(cacheDir, 'packed-refs')) ?? '';
  let last: CacheRef | undefined;
  for (const line of packed.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    if (line.startsWith('^')) {
      const peeled = line.slice(1).trim();
      if (!last || !isObjectId(peeled)) return undefined;
      last.peeled = peeled;
      continue;
    }
    const [sha, name, ...rest] = line.split(' ');
    if (!isObjectId(sha) || !name || rest.length > 0) return undefined;
    last = { sha };
    if (name.startsWith('refs/heads/') || name.startsWith('refs/tags/')) refs.set(name, last);
  }
  for (const kind of ['refs/heads', 'refs/tags']) {
    for (const name of looseRefNames(cacheDir, kind)) {
      const sha = (readTextIfExists(join(cacheDir, name)) ?? '').trim();
      if (!isObjectId(sha)) return undefined;
      refs.set(name, { sha }); // a loose ref is newer than its packed line, which may carry a stale peel
    }
  }
  return refs;
}

function looseRefNames(cacheDir: string, dir: string): string[] {
  let found;
  try {
    found = readdirSync(join(cacheDir, dir), { withFileTypes: true, recursive: true });
  } catch {
    return [];
  }
  return found.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name).slice(cacheDir.length + 1));
}

/**
 * The object files to link, relative to objects/: loose objects and packs. Undefined for
 * anything a plain cache does not have (alternates, a partial clone's promisor packs,
 * packs being written).
 */
function objectFiles(objectsDir: string): string[] | undefined {
  const files: string[] = [];
  for (const entry of readdirSync(objectsDir)) {
    if (LOOSE_DIR.test(entry)) {
      for (const name of readdirSync(join(objectsDir, entry))) {
        if (!/^[0-9a-f]{38}$/.test(name)) return undefined;
        files.push(`${entry}/${name}`);
      }
    } else if (entry === 'pack') {
      for (const name of readdirSync(join(objectsDir, 'pack'))) {
        if (PACK_FILE.test(name)) files.push(`pack/${name}`);
        else if (!name.endsWith('.keep')) return undefined;
      }
    } else if (entry === 'info') {
      if (readdirSync(join(objectsDir, 'info')).includes('alternates')) return undefined;
    }
  }
  return files;
}

/** Hardlinks each pair; false when one failed (a file gone meanwhile, another filesystem). */
async function linkAll(pairs: [from: string, to: string][]): Promise<boolean> {
  if (pairs.length <= LINKS_IN_THREAD) {
    try {
      for (const [from, to] of pairs) linkSync(from, to);
      return true;
    } catch {
      return false;
    }
  }
  let next = 0;
  let ok = true;
  const worker = async () => {
    while (ok && next < pairs.length) {
      const [from, to] = pairs[next++];
      await link(from, to).catch(() => {
        ok = false;
      });
    }
  };
  await Promise.all(Array.from({ length: Math.min(LINKS_AT_ONCE, pairs.length) }, worker));
  return ok;
}
