/**
 * glibc's malloc settings of this process (scripts/malloc-settings.sh), for the Hive
 * processes tests and benches start with an environment of their own: npm's `hive` gives
 * them to the local drone and the git host too, and a bench that runs with them
 * (bench/product-malloc.ts) measures its drones as they run. Empty when none is set.
 */
export function mallocEnv(): Record<string, string> {
  return Object.fromEntries(Object.entries(process.env).filter((e): e is [string, string] => isMallocSetting(e[0]) && e[1] !== undefined));
}

/** Whether an environment variable is one glibc's malloc reads at a process's start. */
export const isMallocSetting = (name: string): boolean => /^(MALLOC_|GLIBC_TUNABLES$)/.test(name);
