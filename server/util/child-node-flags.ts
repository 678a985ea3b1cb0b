/**
 * Node flags for the long-lived child processes the queen starts (the local drone, the
 * git host). V8 lets the young generation grow to 16 MiB per semi-space (32 MiB in all)
 * while a process starts and keeps it committed when it goes idle; these processes keep
 * little alive between bursts, and with 2 MiB semi-spaces each holds ~10–20 MiB less with
 * no measurable cost in `npm run bench` (a 50 MB log through the drone, trigger → assign).
 */
export const CHILD_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=2'];
