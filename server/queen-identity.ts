/**
 * This queen's id in the `queens` table, kept in `<data dir>/queen-id` so a queen started
 * again on its data directory is the same queen: at start it knows which drones its
 * earlier run left marked connected (they are not, no socket is open yet), and leaves the
 * other queens' alone. The data directory is one process's (data-dir-lock.ts), so no two
 * running queens share an id.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isUuid } from '../common/uuid.ts';

export async function loadQueenId(dataDir: string): Promise<string> {
  const file = join(dataDir, 'queen-id');
  const saved = (await readFile(file, 'utf8').catch(() => '')).trim();
  if (isUuid(saved)) return saved;
  const id = randomUUID();
  await mkdir(dataDir, { recursive: true });
  await writeFile(file, `${id}\n`);
  return id;
}
