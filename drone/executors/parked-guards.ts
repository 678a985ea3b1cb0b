/**
 * Guards started ahead of their commands, so that a command need not wait for a start.
 *
 * Starting a process from the drone is slow: node forks the whole drone, and `spawn()`
 * holds the drone's thread until the child has exec'd — 7–10 ms on a VM where forking a
 * small shell takes ~1 ms — and then the guard's shell still has to start before it execs
 * the command's. A parked guard (process-guard.ts) has done all of that already, with an
 * empty environment, in `/`: a command is then one write to its stdin (its environment,
 * workspace and command), which the guard's shell runs itself (process-guard.ts).
 *
 * The pool holds up to `size` of them. They are started when the drone has time: when the
 * pool is made (the drone's start), when a session ends (after its job's result), and while
 * a command runs that the runner says is followed by another. A parked guard is a process
 * group like any command's — recorded for the drone's next start, killed with its watcher
 * when the drone dies — and the session that takes one owns it from then on.
 *
 * Guards are started in batches: only once fewer than `refillBelow` are ready, and then up
 * to `size`, one per turn of the event loop while no job runs (`sessionStarted`,
 * `sessionEnded`). A fork costs the drone far more after it than during it: it leaves
 * every page of the drone's memory shared with the child, so the first write to each page
 * afterwards is a page fault (~12 µs on the VMs measured), even once the child has
 * exec'd. A drone that started a guard after each job took 5–6k of them in the next job
 * of a 2M-line log (~60 ms of its ~180 ms); with batches, 0.3–2k in the jobs between
 * batches (bench/log-bench.ts). The fork itself holds the drone's thread 5–8 ms: a batch
 * waits while jobs run, so that their work is not held up behind it; a drone that is never
 * idle starts its guards one at a time, one per job that ends and one while a command with
 * a successor runs if the pool is low (`refillOne`), or the command starts directly. A parked guard costs ~0.3 MB (two small `sh` processes, their PSS).
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import type { Socket } from 'node:net';
import { POSIX_SHELL } from '../posix-shell.ts';
import type { ProcessGroupRecord } from './process-group-record.ts';
import { killGroup, PARKED_GUARD_PRELUDE, parkedGuardArgs, parkedStdio, quietGuardPipe } from './process-guard.ts';

/** Guards a drone keeps parked per slot, at most (a batch lasts about as many jobs per slot). */
const GUARDS_PER_SLOT = 4;
/** At most this many in a drone's pool, whatever its capacity (each is two processes). */
const MAX_PARKED = 16;

/**
 * The pool of a drone with `capacity` slots: refilled once fewer than one guard per slot
 * is ready, up to GUARDS_PER_SLOT per slot (MAX_PARKED in all, and always one more than
 * the slots).
 */
export function parkedPoolFor(capacity: number): { spares: number; refillSparesBelow: number } {
  return { spares: Math.max(capacity + 1, Math.min(GUARDS_PER_SLOT * capacity, MAX_PARKED)), refillSparesBelow: capacity };
}

export interface ParkedGuard {
  child: ChildProcess;
  /** The drone's end of the guard's pipe: closing it ends the guard's group. */
  guardPipe: Socket | undefined;
}

export class ParkedGuards {
  readonly #size: number;
  readonly #refillBelow: number;
  readonly #shell: string;
  readonly #groupRecord: ProcessGroupRecord | undefined;
  readonly #ready: ParkedGuard[] = [];
  #closed = false;
  /** A batch is being started, one guard per turn (`#fillSoon`). */
  #filling = false;
  /** A batch stopped for a job that started, to go on when no job runs. */
  #paused = false;
  /** Jobs' sessions running on this drone (a batch waits for none). */
  #sessions = 0;

  /**
   * `shell` is the guards' shell, POSIX_SHELL unless a test gives another (busybox's, which
   * reads its argv[0]); the commands' own shell is POSIX_SHELL in any case. `refillBelow`
   * (at most `size`, which it is by default: a guard started for each one taken) is how
   * few may be ready before a batch refills the pool.
   */
  constructor(options: { size: number; refillBelow?: number; groupRecord?: ProcessGroupRecord; shell?: string }) {
    this.#size = options.size;
    this.#refillBelow = Math.min(options.refillBelow ?? options.size, options.size);
    this.#shell = options.shell ?? POSIX_SHELL;
    this.#groupRecord = options.groupRecord;
  }

  /**
   * A live parked guard, now the caller's; undefined when none is ready. (One that died is
   * out of the pool already: its exit handler runs as node sets its exit code.) Parked, it
   * did not keep the drone alive; taken, it does (its process and output), as a directly
   * started command does. Its guard pipe stays unref'd, as a direct start's.
   */
  take(): ParkedGuard | undefined {
    const guard = this.#ready.shift();
    if (!guard) return undefined;
    guard.child.ref();
    for (const stream of [guard.child.stdout, guard.child.stderr]) (stream as Socket).ref();
    return guard;
  }

  /**
   * If the pool is low, one guard now (a start holds the drone's thread 5–8 ms): while a
   * command runs that is followed by another, so that the next command finds it, and after
   * a job that ended while others run.
   */
  refillOne(): void {
    if (!this.#closed && this.#ready.length < this.#refillBelow) this.#startOne();
  }

  /**
   * As the drone starts: `refillBelow` guards now, so that its first jobs find theirs, and
   * the rest of the pool from the next turn on.
   */
  fill(): void {
    while (!this.#closed && this.#ready.length < this.#refillBelow) {
      if (!this.#startOne()) return; // could not start one: the commands start directly
    }
    this.#fillSoon();
  }

  /** A job's session starts: a batch under way waits until no job runs. */
  sessionStarted(): void {
    this.#sessions++;
  }

  /**
   * A job's session ended (its result is out). If no other job runs, a batch that waited
   * goes on, or one starts if the pool is low; while others run, a low pool gets one guard
   * from the next turn on, as each job's end gave one before batches.
   */
  sessionEnded(): void {
    this.#sessions--;
    if (this.#closed) return;
    if (this.#sessions === 0) {
      if (this.#paused || this.#ready.length < this.#refillBelow) {
        this.#paused = false;
        this.#fillSoon();
      }
    } else if (this.#ready.length < this.#refillBelow) {
      setImmediate(() => this.refillOne()).unref();
    }
  }

  /** One guard per turn until the pool is full (or a start fails), while no job runs. */
  #fillSoon(): void {
    if (this.#filling || this.#closed || this.#ready.length >= this.#size) return;
    this.#filling = true;
    const next = () => {
      if (this.#sessions > 0) {
        this.#filling = false;
        this.#paused = true;
        return;
      }
      if (this.#closed || this.#ready.length >= this.#size || !this.#startOne()) {
        this.#filling = false;
        return;
      }
      setImmediate(next).unref();
    };
    setImmediate(next).unref();
  }

  #startOne(): boolean {
    const guard = this.#start();
    if (guard) this.#ready.push(guard);
    return guard !== undefined;
  }

  /** Ends every parked guard; the pool starts no more. */
  close(): void {
    this.#closed = true;
    const pgids = this.#ready.map((guard) => guard.child.pid!);
    for (const guard of this.#ready.splice(0)) end(guard);
    this.#groupRecord?.remove(pgids);
  }

  #start(): ParkedGuard | undefined {
    let child: ChildProcess;
    try {
      child = spawn(this.#shell, parkedGuardArgs(), { cwd: '/', env: {}, detached: true, stdio: [...parkedStdio] });
    } catch {
      return undefined;
    }
    child.stdin?.write(PARKED_GUARD_PRELUDE);
    // Until it is taken, a failed start or an early death only makes it unusable.
    child.on('error', () => {});
    child.stdin!.on('error', () => {});
    if (child.pid === undefined) return undefined;
    const pid = child.pid;
    this.#groupRecord?.add(pid);
    const guard: ParkedGuard = { child, guardPipe: quietGuardPipe(child) };
    // One that dies while parked (killed from outside) leaves the pool as soon as this
    // process hears of it, and the next command starts directly or in a new one. Taken,
    // it is its session's: that session hears of its exit.
    child.once('exit', () => {
      const index = this.#ready.indexOf(guard);
      if (index < 0) return;
      this.#ready.splice(index, 1);
      end(guard);
      this.#groupRecord?.remove([pid]);
    });
    // Idle, it must not keep the drone's process alive either.
    for (const stream of [child.stdin, child.stdout, child.stderr]) (stream as Socket | null)?.unref?.();
    child.unref();
    return guard;
  }
}

/** Kills a parked guard's group (it and its watcher). */
function end(guard: ParkedGuard): void {
  killGroup(guard.child.pid!, 'SIGKILL');
  guard.guardPipe?.destroy();
}
