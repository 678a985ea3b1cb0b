/**
 * A bound on graceful shutdown: once a stop began, the process exits after `ms` whatever
 * it still waits for (a database that does not answer, a peer that never acknowledges),
 * so SIGTERM always ends it in time — a service manager would kill it soon after anyway,
 * with less said. The timer does not keep an otherwise finished process alive.
 */
export function exitAfter(ms: number, say: (message: string) => void): void {
  setTimeout(() => {
    say(`graceful stop took longer than ${ms} ms; exiting now`);
    process.exit(1);
  }, ms).unref();
}
