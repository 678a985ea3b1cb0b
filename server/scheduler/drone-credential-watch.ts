/**
 * Drones stay connected only while the token they connected with is live. Each period one
 * statement checks every token the connected drones hold — a thousand drones on one shared
 * token, or each on its own, cost one query per period, not one each (on the embedded
 * database those per-drone queries were most of an idle queen's work) — and the drones of
 * a revoked token are disconnected. Revoking through this queen's API disconnects them at
 * once; this catches a revocation made through another queen or the CLI.
 */
import { activeTokenIds } from '../db/tokens.ts';
import type { Db } from '../db/client.ts';
import type { Logger } from '../logger.ts';

export interface DroneCredentialWatchDeps {
  db: Db;
  log: Logger;
  periodMs: number;
}

export class DroneCredentialWatch {
  /** Token id → how to disconnect each drone connected with it. */
  readonly #byToken = new Map<string, Set<() => void>>();
  #timer?: NodeJS.Timeout;
  #checking?: Promise<void>;

  constructor(private readonly deps: DroneCredentialWatchDeps) {}

  /** Calls `disconnect` once the token is found revoked; returns the function that stops watching. */
  watch(tokenId: string, disconnect: () => void): () => void {
    let closers = this.#byToken.get(tokenId);
    if (!closers) this.#byToken.set(tokenId, (closers = new Set()));
    closers.add(disconnect);
    this.#timer ??= setInterval(() => void this.check(), this.deps.periodMs).unref();
    return () => {
      closers.delete(disconnect);
      if (closers.size === 0 && this.#byToken.get(tokenId) === closers) this.#byToken.delete(tokenId);
      if (this.#byToken.size === 0) this.stop();
    };
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** One check of every watched token (a check in flight answers for a period that comes meanwhile). */
  check(): Promise<void> {
    this.#checking ??= this.#checkAll().finally(() => (this.#checking = undefined));
    return this.#checking;
  }

  async #checkAll(): Promise<void> {
    const ids = [...this.#byToken.keys()];
    let active: Set<string>;
    try {
      active = await activeTokenIds(this.deps.db, ids);
    } catch (err) {
      this.deps.log.warn({ err }, 'could not check the drones\' tokens again; keeping them connected until the next check');
      return;
    }
    for (const id of ids) {
      if (active.has(id)) continue;
      const closers = this.#byToken.get(id);
      this.#byToken.delete(id);
      for (const disconnect of closers ?? []) disconnect();
    }
    if (this.#byToken.size === 0) this.stop();
  }
}
