/**
 * Whether an incremental work tree can be trusted: `<slot>/state.json` exists only while
 * the tree and its private repository agree on a commit. It is removed before anything
 * touches the tree and written again (to a temporary name, then renamed) only after an
 * update finished — so a drone killed mid-checkout, a full disk or a git that failed
 * leaves a tree without state, which the next build re-creates instead of trusting.
 *
 * It also records the names the drone itself wrote into the tree root (uploaded files),
 * which the next update removes even when a cache pattern would keep them.
 *
 * Each is one small file operation, made in the drone's thread (through the thread pool
 * it waited its turn longer than it took).
 */
import { randomUUID } from 'node:crypto';
import { renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readTextIfExists } from './read-text.ts';

export interface TreeState {
  /** The commit the tree and its index were brought to. */
  sha: string;
  /** Files the drone wrote into the tree root for the build (uploaded files). */
  droneFiles: string[];
}

const FILE = 'state.json';

export async function readTreeState(slotDir: string): Promise<TreeState | undefined> {
  const text = readTextIfExists(join(slotDir, FILE));
  if (text === undefined) return undefined;
  try {
    const value = JSON.parse(text) as Partial<TreeState>;
    if (typeof value.sha !== 'string' || !/^[0-9a-f]{40,64}$/.test(value.sha)) return undefined;
    const droneFiles = Array.isArray(value.droneFiles) ? value.droneFiles.filter((n): n is string => typeof n === 'string') : [];
    return { sha: value.sha, droneFiles };
  } catch {
    return undefined; // half-written or damaged: not to be trusted
  }
}

/** Marks the tree as being changed: from now on, until writeTreeState, it is not trusted. */
export async function clearTreeState(slotDir: string): Promise<void> {
  try {
    unlinkSync(join(slotDir, FILE));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}

export async function writeTreeState(slotDir: string, state: TreeState): Promise<void> {
  const temp = join(slotDir, `${FILE}.${randomUUID()}`);
  writeFileSync(temp, JSON.stringify(state));
  renameSync(temp, join(slotDir, FILE));
}
