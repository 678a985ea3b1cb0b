/** A directory name for an id (a job's, a project's): readable when the id is, unique always — no `..`, no `/`. */
import { createHash } from 'node:crypto';

export function safeDirName(id: string): string {
  if (/^[A-Za-z0-9._-]{1,100}$/.test(id) && !/^\.+$/.test(id)) return id;
  const hash = createHash('sha256').update(id).digest('hex').slice(0, 12);
  return `${id.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 60)}-${hash}`;
}
