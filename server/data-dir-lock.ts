/**
 * One process per data directory. Two queens on one directory would both write its
 * embedded database (PGlite takes no lock of its own: one of them silently loses data),
 * its repository mirrors and its secret.key — so the queen, and `hive users` on the embedded
 * database, hold `<data dir>/hive.lock` while they run.
 *
 * The lock file names its holder: pid, the process's start time (so a pid reused by an
 * unrelated process is not taken for the holder) and the command. A lock whose holder is
 * gone (killed with SIGKILL, a crashed machine) is stale and taken over. Creating it is
 * atomic (a complete file hard-linked into place, which fails if one exists), and taking a
 * stale one over happens under a second short lock, so of two processes starting at once
 * exactly one wins, and neither can remove the lock the other just took.
 */
import { linkSync, mkdirSync, readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { HiveError } from './errors.ts';

export interface LockHolder {
  pid: number;
  /** The holder's start time as the kernel counts it (Linux), to tell a reused pid apart. */
  startTime?: string;
  command: string;
  since: string;
}

/** Another live process holds the data directory. */
export class DataDirLockedError extends HiveError {
  override readonly code = 'data_dir_locked';
  constructor(readonly dir: string, readonly holder: LockHolder) {
    super(`The data directory ${dir} is in use by ${holder.command} (pid ${holder.pid}, since ${holder.since}); `
      + 'stop that process first (one queen per data directory)');
  }
}

/** The data directory cannot be created or written (permissions, a file in the way). */
export class DataDirUnusableError extends HiveError {
  override readonly code = 'data_dir_unusable';
}

export interface DataDirLock {
  readonly path: string;
  /** Removes the lock if it is still ours. Safe to call more than once. */
  release(): void;
}

export const LOCK_FILE = 'hive.lock';
/** A takeover lock older than this was left by a process killed in the middle of one. */
const STALE_TAKEOVER_MS = 10_000;

/** The start time of a process in clock ticks since boot (field 22 of /proc/<pid>/stat); undefined off Linux. */
function processStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: count fields after its closing one.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

function isAlive(holder: LockHolder): boolean {
  // After a container restart the new queen may well get the old one's pid: it is not us yet.
  if (holder.pid === process.pid) return false;
  try {
    process.kill(holder.pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false; // ESRCH: no such process
  }
  const now = processStartTime(holder.pid);
  return !(holder.startTime && now && now !== holder.startTime);
}

const errno = (err: unknown) => (err as NodeJS.ErrnoException).code;

function readRaw(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    if (errno(err) === 'ENOENT') return undefined;
    throw err;
  }
}

function parseHolder(raw: string): LockHolder | undefined {
  try {
    const h = JSON.parse(raw) as LockHolder;
    return Number.isInteger(h.pid) && h.pid > 0 ? h : undefined;
  } catch {
    return undefined; // not ours, or damaged: nobody can be shown to hold it
  }
}

/** Writes `content` to `path` only if no file is there, all at once (readers never see half of it). */
function createExclusive(path: string, content: string): boolean {
  const temp = `${path}.${process.pid}.${Date.now()}`;
  writeFileSync(temp, content);
  try {
    linkSync(temp, path);
    return true;
  } catch (err) {
    if (errno(err) === 'EEXIST') return false;
    throw err;
  } finally {
    unlinkSync(temp);
  }
}

function unlinkIfPresent(path: string): void {
  try {
    unlinkSync(path);
  } catch (err) {
    if (errno(err) !== 'ENOENT') throw err;
  }
}

/** Removes the stale lock `staleRaw`, unless someone changed it meanwhile; false when another process is at it. */
function takeOver(path: string, staleRaw: string): boolean {
  const takeover = `${path}.takeover`;
  if (!createExclusive(takeover, String(process.pid))) {
    try {
      if (Date.now() - statSync(takeover).mtimeMs > STALE_TAKEOVER_MS) unlinkIfPresent(takeover);
    } catch (err) {
      if (errno(err) !== 'ENOENT') throw err;
    }
    return false;
  }
  try {
    // Under the takeover lock nobody else removes the lock file, and nobody can create one
    // while it exists: if it still holds the stale content, removing it removes only that.
    if (readRaw(path) === staleRaw) unlinkIfPresent(path);
    return true;
  } finally {
    unlinkIfPresent(takeover);
  }
}

/**
 * Takes the data directory for this process (creating the directory if needed), or throws
 * DataDirLockedError naming the live process that has it. `command` is what the error
 * shows another process ("a Hive queen", "hive users").
 */
export async function lockDataDir(dir: string, command: string): Promise<DataDirLock> {
  try {
    return await tryLock(dir, command);
  } catch (err) {
    if (err instanceof HiveError) throw err;
    const reason = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    throw new DataDirUnusableError(`Cannot use the data directory ${dir} (${reason}); set HIVE_DATA_DIR to a directory this user can write`, { cause: err });
  }
}

async function tryLock(dir: string, command: string): Promise<DataDirLock> {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, LOCK_FILE);
  const mine = JSON.stringify({ pid: process.pid, startTime: processStartTime(process.pid), command, since: new Date().toISOString() } satisfies LockHolder);
  for (let attempt = 0; attempt < 100; attempt++) {
    if (createExclusive(path, mine)) return ownLock(path, mine);
    const raw = readRaw(path);
    if (raw === undefined) continue; // released just now: try again
    const holder = parseHolder(raw);
    if (holder && isAlive(holder)) throw new DataDirLockedError(dir, holder);
    if (!takeOver(path, raw)) await sleep(50); // another process is taking it over: see who won
  }
  throw new HiveError(`Could not take the lock ${path}: it keeps changing (many processes starting at once?)`);
}

function ownLock(path: string, mine: string): DataDirLock {
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    process.off('exit', release);
    try {
      if (readRaw(path) === mine) unlinkSync(path);
    } catch {
      // already gone, or the directory with it: nothing left to release
    }
  };
  // A process that ends without closing (process.exit after an error) still lets go.
  process.on('exit', release);
  return { path, release };
}
