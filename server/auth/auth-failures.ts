/**
 * Rejected credentials — failed logins, refused drone connections, bad webhook signatures,
 * unknown API tokens — are counted in `/metrics` (`hive_auth_failures_total{kind}`) and
 * logged at warn, so guessing shows up in the queen's log and dashboards. A guesser can
 * send thousands a second, so the log gets at most one line per kind and source address
 * per interval; the next line says how many were left out in between.
 */
import { Counter, type Registry } from 'prom-client';
import type { Logger } from '../logger.ts';

export const AUTH_FAILURE_KINDS = ['login', 'drone', 'webhook', 'api_token'] as const;
export type AuthFailureKind = (typeof AUTH_FAILURE_KINDS)[number];

interface Window {
  loggedAt: number;
  suppressed: number;
}

export class AuthFailures {
  readonly #counter: Counter<'kind'>;
  readonly #windows = new Map<string, Window>();

  constructor(
    private readonly log: Logger,
    registry: Registry,
    private readonly intervalMs = 10_000,
  ) {
    this.#counter = new Counter({
      name: 'hive_auth_failures_total',
      help: 'Rejected credentials, by kind (login, drone, webhook, api_token)',
      labelNames: ['kind'],
      registers: [registry],
    });
    // Present from the start, so a rate() over them works before the first failure.
    for (const kind of AUTH_FAILURE_KINDS) this.#counter.inc({ kind }, 0);
  }

  /**
   * One rejected credential of `kind` from `source` (the client's address). `details`
   * must not hold the credential itself: a username is fine, a token or password never.
   */
  report(kind: AuthFailureKind, source: string, reason: string, details: Record<string, unknown> = {}, now = Date.now()): void {
    this.#counter.inc({ kind });
    const key = `${kind} ${source}`;
    const window = this.#windows.get(key);
    if (window && now - window.loggedAt < this.intervalMs) {
      window.suppressed++;
      return;
    }
    const suppressed = window?.suppressed ?? 0;
    this.#windows.set(key, { loggedAt: now, suppressed: 0 });
    if (this.#windows.size > 10_000) this.#prune(now);
    this.log.warn({ kind, source, ...details, ...(suppressed > 0 && { suppressed }) }, `rejected ${kind} credentials: ${reason}`);
  }

  #prune(now: number): void {
    for (const [key, w] of this.#windows) if (now - w.loggedAt >= this.intervalMs && w.suppressed === 0) this.#windows.delete(key);
  }
}
