/**
 * Runs this bench's process with the glibc malloc settings npm's `hive` starts every Hive
 * process with (scripts/malloc-settings.sh): the benches run a queen in their own process,
 * and how it gets and gives back memory changes its figures — a large log's buffers are
 * fresh memory, a fault per first touch of a page, when freed memory goes back (2026-12-03:
 * 5–13k faults per 20 MB log with the settings of that day, 1–9k without). glibc reads
 * them only when a process starts, so a process started without them starts itself again
 * with them, and waits for that one: imported first, its top-level await keeps the bench's
 * own code from running in the first process (the modules it imports are loaded there,
 * and start nothing). The drones and queen processes the bench
 * starts inherit them (test/helpers/malloc-env.ts). BENCH_MALLOC=as-is: the process as it
 * was started.
 */
import { spawn, spawnSync } from 'node:child_process';
import { constants } from 'node:os';
import { fileURLToPath } from 'node:url';
import { isMallocSetting } from '../test/helpers/malloc-env.ts';

const SETTINGS = fileURLToPath(new URL('../scripts/malloc-settings.sh', import.meta.url));

/** The variables the settings set or change, with their values, given this environment. */
function productMallocEnv(): Record<string, string> {
  const shell = spawnSync('sh', ['-c', '. "$1" && env -0', 'sh', SETTINGS], { env: process.env, encoding: 'utf8' });
  if (shell.status !== 0) throw new Error(`reading ${SETTINGS} failed: ${shell.stderr}`);
  const after = Object.fromEntries(shell.stdout.split('\0').filter(Boolean).map((line) => {
    const at = line.indexOf('=');
    return [line.slice(0, at), line.slice(at + 1)];
  }));
  return Object.fromEntries(Object.entries(after).filter(([name, value]) => isMallocSetting(name) && process.env[name] !== value));
}

if (process.env.BENCH_MALLOC !== 'as-is') {
  const missing = productMallocEnv();
  if (Object.keys(missing).length > 0) {
    const child = spawn(process.execPath, [...process.execArgv, ...process.argv.slice(1)], { env: { ...process.env, ...missing }, stdio: 'inherit' });
    // Ctrl-C reaches both processes: the bench's own handler stops what it started; this one waits for it.
    for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => child.kill(signal));
    const code = await new Promise<number>((resolve) => child.once('exit', (status, signal) => resolve(status ?? 128 + (signal ? constants.signals[signal] : 0))));
    process.exit(code);
  }
}
