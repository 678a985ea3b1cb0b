/**
 * Creates the embedded database's data directory — initdb and the migrations — in a
 * short-lived child process (embedded-database-create-main.ts), so that the queen only
 * ever opens a database that exists.
 *
 * Why a child: PGlite runs initdb inside the same WebAssembly memory it then serves
 * queries from, and initdb grows that memory to ~720 MiB; WebAssembly memory never
 * shrinks, so a queen that created its own database held ~800 MiB for as long as it ran
 * (~170 MiB after a restart). The child's memory goes when it exits.
 *
 * The child builds the database in a sibling directory and renames it into place when it
 * is complete, so a first start that was interrupted leaves no half-made database behind
 * (the next start makes it again), and a directory that is in the way is never written to.
 */
import { fork } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { modulePath, tsxImportArgs } from '../util/tsx-loader.ts';
import { EmbeddedDatabaseError } from './embedded-database-error.ts';

const createMain = modulePath('./embedded-database-create-main.ts', import.meta.url);

/** What the child reports over IPC before it exits. */
export type CreateReport = { ok: true } | { ok: false; message: string };

/** Whether `dataDir` holds a PostgreSQL data directory (initdb writes PG_VERSION). */
export const embeddedDatabaseExists = (dataDir: string) => existsSync(join(dataDir, 'PG_VERSION'));

/**
 * Makes sure `dataDir` holds a migrated database, creating it in a child process when it
 * does not. Resolves `true` when it created one. Throws EmbeddedDatabaseError (one line:
 * what, where, why) when the directory cannot hold one.
 */
export async function createEmbeddedDatabase(dataDir: string): Promise<boolean> {
  if (embeddedDatabaseExists(dataDir)) return false;
  const fail = (why: string, cause?: unknown) =>
    new EmbeddedDatabaseError(`The embedded database could not be created in ${dataDir}: ${why}`, { cause });
  if (existsSync(dataDir) && readdirSync(dataDir).length > 0) {
    throw fail('the directory is not empty but holds no database (no PG_VERSION); move it away or set HIVE_DATA_DIR');
  }
  try {
    mkdirSync(dirname(dataDir), { recursive: true });
  } catch (cause) {
    throw fail(`${(cause as Error).message}; set HIVE_DATA_DIR to a directory this user can write`, cause);
  }
  const building = join(dirname(dataDir), `.${basename(dataDir)}.creating-${process.pid}`);
  try {
    await runChild(building, dataDir, fail);
  } finally {
    rmSync(building, { recursive: true, force: true });
  }
  return true;
}

function runChild(building: string, dataDir: string, fail: (why: string, cause?: unknown) => Error): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = fork(createMain, [building, dataDir], { execArgv: tsxImportArgs, stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
    let report: CreateReport | undefined;
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
    child.on('message', (message: CreateReport) => (report = message));
    child.once('error', (err) => reject(fail(`could not start a process to create it: ${err.message}`, err)));
    child.once('exit', (code, signal) => {
      if (code === 0 && report?.ok) return resolve();
      const why = report && !report.ok ? report.message : `the process that creates it exited (${signal ?? `code ${code}`})`;
      reject(fail(why, stderr.trim() ? new Error(stderr.trim()) : undefined));
    });
  });
}
