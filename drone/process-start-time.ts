/**
 * When a process started, as the kernel counts it (/proc/<pid>/stat field 22, clock ticks
 * since boot): with the pid, it names one process for good — a pid reused later by another
 * process comes with another start time.
 */
import { readFileSync } from 'node:fs';

/** The start time of `pid`, or undefined when no such process is running (Linux only). */
export function processStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The name (field 2) may hold spaces and parentheses: fields are counted after the last ')'.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

/** The process group (field 5) and start time of `pid`, or undefined when it is gone. */
export function processGroupAndStart(pid: number): { pgid: number; start: string } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { pgid: Number(fields[2]), start: fields[19] };
  } catch {
    return undefined;
  }
}
