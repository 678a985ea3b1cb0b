/**
 * The process groups of the build commands running on this drone, kept in a small file
 * in its data dir (`<dataDir>/process-groups`, one `<pgid> <start time>` per line) so
 * that a drone restarted on that data dir ends whatever an earlier run left running.
 *
 * The guard (process-guard.ts) already ends a dead drone's builds; this is belt and
 * braces for what it cannot catch: a watcher killed along with the drone (a group-wide
 * SIGKILL, the OOM killer). A group is recorded when its command starts and forgotten
 * when the session kills it at the end of the job (dispose), not when its command exits:
 * background processes a command left live on in its group until then.
 *
 * A group is killed at start only if it is still the recorded one: its leader has the
 * recorded start time (a reused pid has another), or — the leader gone — members of the
 * group started after it. (A group id is not handed out again while any process is in
 * that group, so such members are ours unless the id was reused and the new group's
 * leader is gone too; accepted.)
 *
 * The file is written whole (a temporary file renamed over it) after every change, so a
 * drone killed mid-write leaves the old or the new list, never half a line. It is small:
 * one line per command of the running jobs.
 */
import { readdirSync, readFileSync, unlinkSync } from 'node:fs';
import { rename, writeFile } from 'node:fs/promises';
import { processGroupAndStart, processStartTime } from '../process-start-time.ts';

export const PROCESS_GROUPS_FILE = 'process-groups';

export class ProcessGroupRecord {
  readonly #path: string;
  /** pgid → its leader's start time. */
  readonly #groups = new Map<number, string>();
  readonly #onWriteError: (err: Error) => void;
  #writeFailed = false;
  #writing = false;
  #dirty = false;

  constructor(path: string, onWriteError: (err: Error) => void = () => {}) {
    this.#path = path;
    this.#onWriteError = onWriteError;
  }

  /** Records the group `pgid` led by the just-spawned process `pgid`. */
  add(pgid: number): void {
    const start = processStartTime(pgid);
    // Gone already (it ended at once): nothing left to kill later.
    if (start === undefined) return;
    this.#groups.set(pgid, start);
    this.#write();
  }

  /** Forgets groups that were killed. */
  remove(pgids: Iterable<number>): void {
    let changed = false;
    for (const pgid of pgids) changed = this.#groups.delete(pgid) || changed;
    if (changed) this.#write();
  }

  /**
   * Writes the list in the background, one write at a time, the latest list last: a
   * synchronous write cost each command ~3 ms before it could start, and the list is
   * belt and braces (a group started in the moment before a kill is the guard's alone).
   */
  #write(): void {
    if (this.#writing) {
      this.#dirty = true;
      return;
    }
    this.#writing = true;
    void this.#writeLatest().finally(() => (this.#writing = false));
  }

  async #writeLatest(): Promise<void> {
    do {
      this.#dirty = false;
      const text = [...this.#groups].map(([pgid, start]) => `${pgid} ${start}\n`).join('');
      try {
        await writeFile(`${this.#path}.tmp`, text);
        await rename(`${this.#path}.tmp`, this.#path);
        this.#writeFailed = false;
      } catch (err) {
        // A full or read-only disk must not fail the build: the guard still covers it.
        // Said once per run of failures, not once per command.
        if (!this.#writeFailed) this.#onWriteError(err as Error);
        this.#writeFailed = true;
      }
    } while (this.#dirty);
  }
}

/**
 * At the drone's start, before any job: kills the recorded groups an earlier run left that
 * are still running (SIGKILL: their drone is gone, nobody waits for a clean end) and
 * clears the file. Returns the group ids killed.
 */
export function killRecordedGroups(path: string): number[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new ProcessGroupRecordError(`could not read the process groups an earlier run left (${path})`, { cause: err });
  }
  const killed: number[] = [];
  const recorded = text.split('\n').flatMap((line) => {
    const m = /^(\d+) (\d+)$/.exec(line);
    return m ? [{ pgid: Number(m[1]), start: m[2] }] : [];
  });
  for (const { pgid, start } of recorded) {
    if (pgid <= 1 || !stillOurs(pgid, start)) continue;
    try {
      process.kill(-pgid, 'SIGKILL');
      killed.push(pgid);
    } catch {
      // ended meanwhile
    }
  }
  try {
    unlinkSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new ProcessGroupRecordError(`could not clear ${path}`, { cause: err });
  }
  return killed;
}

function stillOurs(pgid: number, start: string): boolean {
  const leaderStart = processStartTime(pgid);
  if (leaderStart !== undefined) return leaderStart === start;
  // The leader is gone: are members of its group left, started after it?
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const p = processGroupAndStart(Number(name));
    if (p && p.pgid === pgid && BigInt(p.start) >= BigInt(start)) return true;
  }
  return false;
}

export class ProcessGroupRecordError extends Error {
  override name = 'ProcessGroupRecordError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}
