/**
 * Slows password guessing: after too many failed logins for one username (from anywhere)
 * within a window, further attempts are refused until the window has passed. In memory,
 * per queen: enough to make guessing at scrypt speed hopeless, without a table.
 */
export class LoginThrottle {
  readonly #failures = new Map<string, number[]>();

  constructor(private readonly maxFailures = 10, private readonly windowMs = 15 * 60_000) {}

  /** Milliseconds until `username` may try again, or 0 when it may now. */
  retryAfterMs(username: string, now = Date.now()): number {
    const recent = this.#recent(username, now);
    if (recent.length < this.maxFailures) return 0;
    return recent[0] + this.windowMs - now;
  }

  fail(username: string, now = Date.now()): void {
    const recent = this.#recent(username, now);
    recent.push(now);
    this.#failures.set(username.toLowerCase(), recent);
    if (this.#failures.size > 10_000) this.#prune(now);
  }

  succeed(username: string): void {
    this.#failures.delete(username.toLowerCase());
  }

  #recent(username: string, now: number): number[] {
    return (this.#failures.get(username.toLowerCase()) ?? []).filter((t) => now - t < this.windowMs);
  }

  #prune(now: number): void {
    for (const [k, times] of this.#failures) if (times.every((t) => now - t >= this.windowMs)) this.#failures.delete(k);
  }
}
