/**
 * Files sent with a trigger: the rules for their names and how many there may be, in one
 * place because both sides check them — the queen when it stores an upload, the drone
 * again before it writes one into a workspace (it never trusts a name to be a plain file
 * name just because the queen said so). Imports nothing, so browser code may use it too.
 *
 * A name is one file in the workspace root: no directories (`/`, `\`), nothing that walks
 * up (`..`), no control characters (a newline in a file name breaks every log line and
 * shell loop that prints it), not `.git` (that is the checkout's own repository), and at
 * most 255 bytes of UTF-8 (the longest file name common file systems take).
 */

/** At most this many files per trigger. */
export const MAX_UPLOAD_FILES = 100;
/** The longest file name, in bytes of UTF-8 (ext4, xfs, APFS, NTFS all stop at 255). */
export const MAX_UPLOAD_NAME_BYTES = 255;

/** An uploaded file as jobs, specs and pages list it (never its content). */
export interface UploadedFile {
  name: string;
  size: number;
}

/** What is wrong with `name` as the name of an uploaded file, in words; undefined when nothing is. */
export function uploadNameProblem(name: string): string | undefined {
  if (name === '') return 'is empty';
  if (name.includes('/') || name.includes('\\')) return 'contains a path separator ("/" or "\\"); send the file by its name alone';
  if (name.includes('..')) return 'contains ".."';
  if (name === '.') return 'is "."';
  if (/[\u0000-\u001f\u007f]/.test(name)) return 'contains a control character (NUL, newline, tab …)';
  if (/[\uD800-\uDFFF]/.test(name.replace(/[\uD800-\uDBFF][\uDC00-\uDFFF]/g, ''))) return 'contains a lone UTF-16 surrogate (not valid Unicode)';
  if (name.toLowerCase() === '.git') return 'is ".git", the checkout\'s own repository';
  const bytes = new TextEncoder().encode(name).length;
  if (bytes > MAX_UPLOAD_NAME_BYTES) return `is ${bytes} bytes long; at most ${MAX_UPLOAD_NAME_BYTES} are allowed`;
  return undefined;
}

/** "12 B", "3.4 KiB", "50 MiB": sizes as the pages and messages show them. */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  const text = value >= 10 || Number.isInteger(value) ? String(Math.round(value)) : value.toFixed(1);
  return `${text} ${units[unit]}`;
}
