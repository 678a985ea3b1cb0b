/**
 * Waits for state that no event announces — a process gone from /proc, a file a fake
 * program writes, what a queen keeps in memory, what another process serves — by asking
 * again every `everyMs`. Where an event exists, tests wait for the event instead.
 */

export interface UntilOptions {
  /** Fails after this long (default 10 s). */
  timeoutMs?: number;
  /** How often `check` is asked (default 20 ms). */
  everyMs?: number;
}

/** Thrown when `check` never answered within the time; says what was awaited. */
export class UntilTimeoutError extends Error {
  override name = 'UntilTimeoutError';
}

/**
 * Resolves with `check`'s first answer that is neither `false` nor `undefined`; fails
 * after `timeoutMs` saying `what` did not happen.
 */
export async function until<T>(what: string, check: () => T | false | undefined | Promise<T | false | undefined>, options: UntilOptions = {}): Promise<T> {
  const { timeoutMs = 10_000, everyMs = 20 } = options;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const answer = await check();
    if (answer !== false && answer !== undefined) return answer;
    if (Date.now() > deadline) throw new UntilTimeoutError(`${what} did not happen within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}
