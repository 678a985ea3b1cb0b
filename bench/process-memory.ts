/**
 * The resident memory of a process and everything it started, as the kernel counts it:
 * the tree from /proc/<pid>/task/<tid>/children, each process's VmRSS from
 * /proc/<pid>/status and its PSS from /proc/<pid>/smaps_rollup. Linux only.
 */
import { readFileSync, readdirSync } from 'node:fs';

export interface ProcessMemory {
  pid: number;
  /** What the process is to Hive (queen, git host, drone, …), from its command line. */
  role: string;
  rssKiB: number;
  /**
   * Its proportional set size: its resident pages, each shared one divided among the
   * processes that share it (smaps_rollup). Summed over a tree it counts a page once, where
   * RSS counts it in every process: the parked guards' `sh`, most of whose pages are
   * shared, are ~2 MiB RSS each and ~0.15 PSS. 0 where the kernel does not say.
   */
  pssKiB: number;
}

function children(pid: number): number[] {
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return []; // gone meanwhile
  }
  return tids.flatMap((tid) => {
    try {
      return readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').split(' ').filter(Boolean).map(Number);
    } catch {
      return [];
    }
  });
}

/** The process and its descendants, parents first. */
export function processTree(pid: number): number[] {
  return [pid, ...children(pid).flatMap(processTree)];
}

const field = (text: string, name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? 0);

/** Names Hive's processes by what they run; anything else by its program. */
export function roleOf(commandLine: string[]): string {
  const line = commandLine.join(' ');
  if (/mirror-host\.(js|ts)/.test(line)) return 'git host';
  if (/drone\/main\.(js|ts)/.test(line)) return 'drone';
  if (/embedded-database-create-main/.test(line)) return 'initdb';
  if (/hive\.(js|mjs|ts)\b/.test(line)) return 'queen';
  return (commandLine[0] ?? '?').split('/').pop()!;
}

function pssOf(pid: number): number {
  try {
    return field(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'), 'Pss');
  } catch {
    return 0;
  }
}

export function treeMemory(rootPid: number): ProcessMemory[] {
  return processTree(rootPid).flatMap((pid) => {
    try {
      const status = readFileSync(`/proc/${pid}/status`, 'utf8');
      const commandLine = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
      return [{ pid, role: roleOf(commandLine), rssKiB: field(status, 'VmRSS'), pssKiB: pssOf(pid) }];
    } catch {
      return []; // exited between listing and reading
    }
  });
}
