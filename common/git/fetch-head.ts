import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * The object id of the single ref the last fetch into `gitDir` fetched (its FETCH_HEAD),
 * if it fetched exactly one: usually the commit wanted, known without a git process.
 */
export async function fetchedTip(gitDir: string): Promise<string | undefined> {
  const lines = (await readFile(join(gitDir, 'FETCH_HEAD'), 'utf8').catch(() => '')).split('\n').filter(Boolean);
  return lines.length === 1 ? /^([0-9a-f]{40}|[0-9a-f]{64})\t/.exec(lines[0])?.[1] : undefined;
}
