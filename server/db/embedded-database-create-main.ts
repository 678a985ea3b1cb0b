/**
 * The child process of `createEmbeddedDatabase` (embedded-database-create.ts says why):
 * `<building dir> <final dir>` — runs initdb and the migrations in the building directory,
 * closes it, renames it to the final one, reports over IPC and exits, taking the memory
 * initdb grew with it.
 */
import { mkdirSync, renameSync } from 'node:fs';
import type { CreateReport } from './embedded-database-create.ts';
import { describe, openPglite } from './pglite-client.ts';

const [building, dataDir] = process.argv.slice(2);
const report = (message: CreateReport) => new Promise<void>((resolve) => process.send!(message, () => resolve()));

try {
  mkdirSync(building, { recursive: true });
  const database = await openPglite({ dataDir: building });
  await database.close();
  renameSync(building, dataDir);
  await report({ ok: true });
} catch (err) {
  // openPglite's own message names the building directory; the parent names the real one.
  await report({ ok: false, message: describe((err as Error).cause ?? err) });
  process.exitCode = 1;
}
process.disconnect?.();
