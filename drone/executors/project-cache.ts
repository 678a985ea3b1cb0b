/**
 * The per-project cache directory, `<dataDir>/cache/<projectId>`: kept across jobs (unlike
 * the workspace) so builds can reuse downloads, e.g. the `node` plugin's npm cache under
 * `$HIVE_CACHE_DIR`. Jobs of one project may share it concurrently; tools that write
 * caches (npm, pip, Go) cope with that.
 */
import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Creates (if needed) and returns the cache directory of a project. In the drone's thread:
 * on every command session's start, where a directory that exists is one system call and
 * a trip through the thread pool waited its turn ~1 ms.
 */
export async function projectCacheDir(cacheRoot: string, projectId: string): Promise<string> {
  const dir = join(cacheRoot, safeDirName(projectId));
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** The id itself when it is a plain name, else a readable prefix plus a hash (no `..`, no `/`). */
function safeDirName(id: string): string {
  if (/^[A-Za-z0-9._-]{1,100}$/.test(id) && !/^\.+$/.test(id)) return id;
  const hash = createHash('sha256').update(id).digest('hex').slice(0, 12);
  return `${id.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 60)}-${hash}`;
}
