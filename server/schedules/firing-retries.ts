/**
 * The backoff of firings that failed for a transient reason (firing-failure.ts), kept in
 * memory per schedule: the first retry after `firstMs`, each next one after twice as
 * long, at most `maxMs` apart — soon after a blip, without hammering a database that is
 * away. Only one due time per schedule is retried: a later one coming due replaces it
 * (as a queen down for several due times fires once, for the latest). Nothing here needs
 * to outlive the queen: the firing is not recorded until its job exists, so a queen that
 * starts again simply finds it due.
 */
interface Retry {
  dueAt: number;
  failures: number;
  at: Date;
}

export class FiringRetries {
  readonly #retries = new Map<string, Retry>();

  constructor(private readonly firstMs: number, private readonly maxMs: number) {}

  /** Records a failure of `key`'s firing for `dueAt`; returns when to try again and the attempt count. */
  failed(key: string, dueAt: Date, now: Date): { at: Date; failures: number } {
    const before = this.#retries.get(key);
    const failures = before?.dueAt === dueAt.getTime() ? before.failures + 1 : 1;
    const delay = Math.min(this.maxMs, this.firstMs * 2 ** Math.min(failures - 1, 30));
    const at = new Date(now.getTime() + delay);
    this.#retries.set(key, { dueAt: dueAt.getTime(), failures, at });
    return { at, failures };
  }

  /** When `key`'s firing for `dueAt` may be tried again, if it must wait still (undefined: now). */
  waitUntil(key: string, dueAt: Date, now: Date): Date | undefined {
    const retry = this.#retries.get(key);
    if (!retry || retry.dueAt !== dueAt.getTime() || retry.at <= now) return undefined;
    return retry.at;
  }

  /** The firing succeeded, or was consumed: no retry. */
  clear(key: string): void {
    this.#retries.delete(key);
  }

  /** Forgets the retries of schedules no longer due (removed, disabled, fired elsewhere). */
  keepOnly(keys: ReadonlySet<string>): void {
    for (const key of this.#retries.keys()) if (!keys.has(key)) this.#retries.delete(key);
  }
}
