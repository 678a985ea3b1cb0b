/**
 * `--import` for child processes that run TypeScript (the local drone, the git host):
 * tsx resolved by the queen, so they start whatever directory the queen was run from.
 */
export const tsxImportArgs = ['--import', import.meta.resolve('tsx')];
