/**
 * The caches an incremental workspace keeps between builds (a project's `workspaceCaches`):
 * the rules for each entry, in one place because both sides check them — the queen when
 * an admin saves the setting, the drone again before it hands an entry to
 * `git clean -e <entry>`. Imports nothing, so browser code may use it too.
 *
 * An entry is a gitignore pattern (`node_modules`, `.cache/`, `packages/*\/dist`) naming
 * paths the repository ignores. It may not start with `-` (git would read an option) nor
 * walk up (`..`), may not name `.git` (the drone gives every build that anew) nor match
 * everything, and has no spaces, `!` (negations) or control characters.
 */

/** At most this many cache entries per project. */
export const MAX_WORKSPACE_CACHES = 20;
export const MAX_WORKSPACE_CACHE_CHARS = 200;

/** What is wrong with `entry` as a workspace cache, in words; undefined when nothing is. */
export function workspaceCacheProblem(entry: string): string | undefined {
  if (entry === '') return 'is empty';
  if (entry.length > MAX_WORKSPACE_CACHE_CHARS) return `is longer than ${MAX_WORKSPACE_CACHE_CHARS} characters`;
  if (!/^[A-Za-z0-9._\-/*]+$/.test(entry)) return 'may contain only letters, digits, ".", "_", "-", "/" and "*"';
  if (entry.startsWith('-')) return 'starts with "-"';
  const segments = entry.split('/').filter(Boolean);
  if (segments.length === 0) return 'names the whole workspace';
  if (segments.some((s) => s === '..' || s === '.')) return 'contains "." or ".." as a path segment';
  if (segments.some((s) => s.toLowerCase() === '.git')) return 'names .git, which every build gets anew';
  if (segments.every((s) => /^\*+$/.test(s))) return 'matches everything';
  return undefined;
}
