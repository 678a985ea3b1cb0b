// The entry of a process that runs several test files (scripts/run-tests.mjs groups the
// unit files): each file is imported inside a suite of its own, so the hooks it declares at
// its top level (`before`, `after`) belong to that suite and run around its own tests.
// Imported at the top level of one process instead, every file's hooks belonged to the
// root test, and an `after` declared while an earlier file's async `after` was still
// running ran at once, in the middle of the file's own tests (twice in CI it deleted the
// systemd test's unit copies under it). test/unit/test-group-entry.test.ts checks the order.
import { relative } from 'node:path';
import { pathToFileURL } from 'node:url';

/** `node` arguments that run `files` (absolute paths) in one process, one suite per file named by its path from `root`. */
export function groupEntryArgs(files, root) {
  return ['--input-type=module', '-e', [
    "import { describe } from 'node:test';",
    ...files.map((f) => `describe(${JSON.stringify(relative(root, f))}, async () => { await import(${JSON.stringify(pathToFileURL(f).href)}); });`),
  ].join('\n')];
}
