/**
 * A task the queen runs on a timer (lease checks, database maintenance): at most one run
 * at a time — a tick that finds one in progress is skipped — and `stop()` waits for the
 * run in progress, so what it uses (the database) can be closed next. A failing run is
 * reported to `onError` and the next tick tries again.
 */
export interface PeriodicTask {
  stop(): Promise<void>;
}

export function startPeriodicTask(
  task: () => Promise<void>,
  options: { intervalMs: number; runNow?: boolean; onError(err: unknown): void },
): PeriodicTask {
  let current: Promise<void> | undefined;
  const tick = () => {
    current ??= task().catch(options.onError).finally(() => (current = undefined));
  };
  if (options.runNow) tick();
  const timer = setInterval(tick, options.intervalMs);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await current;
    },
  };
}
