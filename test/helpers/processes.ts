/** Whether a process still runs: alive means running or stopped, not a zombie waiting to be reaped. */
import { existsSync, readdirSync, readFileSync } from 'node:fs';

export function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

/** Pids of live processes whose command line contains `text` (e.g. a test server's port). */
export function processesMatching(text: string): number[] {
  const pids: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    try {
      const cmdline = readFileSync(`/proc/${name}/cmdline`, 'utf8').replace(/\0/g, ' ');
      if (cmdline.includes(text) && isAlive(Number(name))) pids.push(Number(name));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

/** Pids of the live processes in process group `pgid`. */
export function groupMembers(pgid: number): number[] {
  return readdirSync('/proc').filter((n) => /^\d+$/.test(n)).map(Number).filter((pid) => {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]) === pgid && isAlive(pid);
    } catch {
      return false;
    }
  });
}

/** A process's command line, its arguments joined by NULs; '' once it is gone. */
export function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return '';
  }
}

/**
 * A guard's watcher in process group `pgid`: the member named hive-guard that holds fd 3,
 * the guard's pipe (process-guard.ts) — the shell that runs the command, a guard too when
 * it was parked, closed it before the command.
 */
export function guardWatchers(pgid: number): number[] {
  return groupMembers(pgid).filter((pid) => cmdline(pid).includes('hive-guard') && existsSync(`/proc/${pid}/fd/3`));
}
