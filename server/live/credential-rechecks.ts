/**
 * Open `/api/events` sockets live only as long as the credential they were opened with.
 * The check is made once per credential (a token, a session) each period, however many
 * sockets it opened — a page open in many tabs, or thousands of watchers sharing a token,
 * cost one query per period, not one per socket — and a revoked one closes all of them.
 */
import type { Logger } from '../logger.ts';

/** Whether the credential is still valid (not revoked, logged out or expired). */
export type StillAllowed = () => Promise<boolean>;

interface Watched {
  stillAllowed: StillAllowed;
  closers: Set<() => void>;
  checking: boolean;
}

export class CredentialRechecks {
  readonly #watched = new Map<string, Watched>();
  #timer?: NodeJS.Timeout;

  constructor(private readonly periodMs: number, private readonly log: Logger) {}

  /**
   * Closes the socket (`close`) once `stillAllowed` says no. `key` names the credential
   * (a hash of it; sockets of one key share a check). Returns the function that stops
   * watching it (when the socket closes).
   */
  watch(key: string, stillAllowed: StillAllowed, close: () => void): () => void {
    let watched = this.#watched.get(key);
    if (!watched) this.#watched.set(key, (watched = { stillAllowed, closers: new Set(), checking: false }));
    watched.closers.add(close);
    this.#timer ??= setInterval(() => this.#checkAll(), this.periodMs).unref();
    return () => {
      watched.closers.delete(close);
      if (watched.closers.size === 0 && this.#watched.get(key) === watched) this.#watched.delete(key);
      if (this.#watched.size === 0) this.stop();
    };
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  #checkAll(): void {
    for (const [key, watched] of this.#watched) {
      if (watched.checking) continue; // a slow database: the check in flight answers for this period too
      watched.checking = true;
      watched.stillAllowed()
        .catch((err) => {
          this.log.warn({ err }, 'could not re-check an events socket credential; keeping its sockets until the next check');
          return true;
        })
        .then((allowed) => {
          watched.checking = false;
          if (allowed) return;
          if (this.#watched.get(key) === watched) this.#watched.delete(key);
          for (const close of [...watched.closers]) close();
          if (this.#watched.size === 0) this.stop();
        });
    }
  }
}
