/**
 * How the embedded PostgreSQL (PGlite) is started: its own defaults plus the memory
 * settings below, given as `-c` options on every start (so they win over the data
 * directory's postgresql.conf, which initdb wrote and which is left alone).
 *
 * Why: PGlite runs PostgreSQL inside one WebAssembly memory, which grows but never
 * shrinks. initdb's default `shared_buffers = 128MB` fills that much of it with the buffer
 * cache as soon as enough pages were read, and it stays resident for the queen's life: a
 * process that only opened the database held 320 MiB, with 16 MB 150–180 MiB. 16 MB keeps
 * a working set of the hot tables (jobs, drones, the newest log chunks) and leaves the rest
 * to the operating system's page cache, which the data files are read through anyway.
 * `wal_buffers` follows (1 MB: a log batch's WAL fits before a write).
 * `maintenance_work_mem` (64 MB by default) is what a VACUUM (pglite-maintenance.ts) may
 * take for its list of dead rows, and what it takes stays in the memory for good; with
 * 16 MB a VACUUM after a big log deletion makes more passes over the indexes instead.
 */
import { PGlite } from '@electric-sql/pglite';

export const PGLITE_SETTINGS: Readonly<Record<string, string>> = {
  shared_buffers: '16MB',
  wal_buffers: '1MB',
  maintenance_work_mem: '16MB',
};

/** PGlite's start parameters with Hive's settings added (`-c name=value` each). */
export function pgliteStartParams(): string[] {
  return [...PGlite.defaultStartParams, ...Object.entries(PGLITE_SETTINGS).flatMap(([name, value]) => ['-c', `${name}=${value}`])];
}
