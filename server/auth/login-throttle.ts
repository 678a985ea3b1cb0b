/**
 * Slows password guessing without letting a guesser lock anyone out. Two limits, each
 * over a sliding window:
 *
 * - per username *and* client address: too many failures for one user from one address
 *   refuse further tries for that user from that address only — the real user, from
 *   another address, still logs in with the right password;
 * - per client address: too many failures for any usernames from one address (spraying
 *   one password over many accounts) refuse every login from that address.
 *
 * In memory, per queen: enough to make guessing at scrypt speed hopeless, without a table.
 * The address is the socket's peer, or the proxy's `X-Forwarded-For` with HIVE_TRUST_PROXY
 * (see client-address.ts).
 */

/** Failure times per key within a window, with a cap on how many keys are kept. */
class FailureWindow {
  readonly #failures = new Map<string, number[]>();

  constructor(readonly max: number, readonly windowMs: number) {}

  retryAfterMs(key: string, now: number): number {
    const recent = this.#recent(key, now);
    if (recent.length < this.max) return 0;
    return recent[recent.length - this.max] + this.windowMs - now;
  }

  fail(key: string, now: number): void {
    const recent = this.#recent(key, now);
    recent.push(now);
    // Only the newest `max` matter for the decision; older ones need no memory.
    this.#failures.set(key, recent.slice(-this.max));
    if (this.#failures.size > 10_000) this.#prune(now);
  }

  clear(key: string): void {
    this.#failures.delete(key);
  }

  #recent(key: string, now: number): number[] {
    return (this.#failures.get(key) ?? []).filter((t) => now - t < this.windowMs);
  }

  #prune(now: number): void {
    for (const [k, times] of this.#failures) if (times.every((t) => now - t >= this.windowMs)) this.#failures.delete(k);
  }
}

export interface LoginThrottleLimits {
  /** Failures for one username from one address before that pair waits. */
  perUser: number;
  /** Failures for any usernames from one address before the address waits. */
  perAddress: number;
  windowMs: number;
}

export const DEFAULT_LOGIN_LIMITS: LoginThrottleLimits = { perUser: 10, perAddress: 50, windowMs: 15 * 60_000 };

export interface ThrottleVerdict {
  /** Milliseconds until a try is allowed; 0 when it is now. */
  waitMs: number;
  /** Which limit refused: the username from this address, or the address as a whole. */
  scope?: 'user' | 'address';
}

export class LoginThrottle {
  readonly #pairs: FailureWindow;
  readonly #addresses: FailureWindow;

  constructor(limits: Partial<LoginThrottleLimits> = {}) {
    const { perUser, perAddress, windowMs } = { ...DEFAULT_LOGIN_LIMITS, ...limits };
    this.#pairs = new FailureWindow(perUser, windowMs);
    this.#addresses = new FailureWindow(perAddress, windowMs);
  }

  check(username: string, address: string, now = Date.now()): ThrottleVerdict {
    const byAddress = this.#addresses.retryAfterMs(address, now);
    if (byAddress > 0) return { waitMs: byAddress, scope: 'address' };
    const byUser = this.#pairs.retryAfterMs(pairKey(username, address), now);
    return byUser > 0 ? { waitMs: byUser, scope: 'user' } : { waitMs: 0 };
  }

  fail(username: string, address: string, now = Date.now()): void {
    this.#pairs.fail(pairKey(username, address), now);
    this.#addresses.fail(address, now);
  }

  /** A correct login clears that user's failures from that address (not the address's others). */
  succeed(username: string, address: string): void {
    this.#pairs.clear(pairKey(username, address));
  }
}

const pairKey = (username: string, address: string) => `${username.toLowerCase()}\n${address}`;
