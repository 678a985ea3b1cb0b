/**
 * Node flags for the long-lived child processes the queen starts.
 *
 * Both: V8 lets the young generation grow to 16 MiB per semi-space (32 MiB in all) while
 * a process starts or streams a log, and keeps it committed when it goes idle; these
 * processes keep little alive between bursts, so 1 MiB semi-spaces do. A 50 MB build took
 * as long through the local drone with them (5–6.5 s, `npm run bench`).
 *
 * The git host also runs without V8's optimizing compiler (`--no-opt`): its own code is a
 * little glue around `git` processes, and the optimizer's work at start stayed resident
 * (~4 MiB). Not the drone: streaming a 50 MB log took it 2.5 times as long without.
 */
export const CHILD_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=1'];

export const GIT_HOST_NODE_FLAGS: readonly string[] = [...CHILD_NODE_FLAGS, '--no-opt'];
