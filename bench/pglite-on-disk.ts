/**
 * A database for a bench's in-process queen as Hive runs by default (`hive queen`, `npm
 * start`): PGlite on disk, in a fresh data dir, where the test helper's own default is in
 * memory. Given to `startTestQueen` as where to start from; its `stop` removes the dir.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase } from '../server/db/client.ts';
import type { RestartFrom } from '../test/helpers/queen.ts';

export async function pgliteOnDisk(prefix: string): Promise<RestartFrom> {
  const dataDir = await mkdtemp(join(tmpdir(), prefix));
  return { dataDir, testDb: await openDatabase({ dataDir: join(dataDir, 'db') }) };
}
