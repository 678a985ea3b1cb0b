/**
 * Runs retention passes (retention-pass.ts) at the queen's start and then every
 * `intervalMs` (hourly: retention is counted in days). Several queens sharing one
 * PostgreSQL may each run passes; the deletes are idempotent and a job is counted by
 * the queen that marked it.
 *
 * Observers (metrics, tests) listen to `pass`, emitted after every pass with what it
 * removed. A pass that fails is logged and retried at the next tick; it never throws out
 * of the loop.
 */
import { EventEmitter } from 'node:events';
import type { Db } from '../db/client.ts';
import type { Logger } from '../logger.ts';
import { retentionEnabled, runRetentionPass, type RetentionPolicy, type RetentionResult } from './retention-pass.ts';

export interface RetentionEvents {
  pass: [result: RetentionResult];
}

const HOUR_MS = 60 * 60_000;
const NOTHING: RetentionResult = { jobs: 0, chunks: 0, deliveries: 0, uploads: 0 };

export class RetentionLoop extends EventEmitter<RetentionEvents> {
  readonly #deps: { db: Db; log: Logger; policy: RetentionPolicy; intervalMs: number };
  #current: Promise<RetentionResult> | undefined;
  #timer: NodeJS.Timeout | undefined;
  #stopping = false;

  constructor(deps: { db: Db; log: Logger; policy: RetentionPolicy; intervalMs?: number }) {
    super();
    this.#deps = { ...deps, intervalMs: deps.intervalMs ?? HOUR_MS };
  }

  /** Starts the first pass now and the next ones on the interval; nothing when all retention is off. */
  start(): void {
    if (!retentionEnabled(this.#deps.policy) || this.#timer) return;
    this.#inBackground();
    this.#timer = setInterval(() => this.#inBackground(), this.#deps.intervalMs);
    this.#timer.unref();
  }

  /**
   * A pass that begins after any pass in progress has ended (so it sees everything written
   * before this call); resolves with what it removed, rejects when it failed.
   */
  async runPass(): Promise<RetentionResult> {
    while (this.#current) await this.#current.catch(() => undefined);
    if (this.#stopping) return NOTHING;
    const pass = this.#pass().finally(() => {
      if (this.#current === pass) this.#current = undefined;
    });
    this.#current = pass;
    return pass;
  }

  /** Stops the timer and waits for a pass in progress, which ends at its next batch. */
  async stop(): Promise<void> {
    this.#stopping = true;
    clearInterval(this.#timer);
    await this.#current?.catch(() => undefined);
  }

  #inBackground(): void {
    if (this.#current) return; // the pass in progress covers this tick
    this.runPass().catch((err) => this.#deps.log.warn({ err }, 'retention pass failed; will retry'));
  }

  async #pass(): Promise<RetentionResult> {
    const { db, log, policy } = this.#deps;
    const started = performance.now();
    const result = await runRetentionPass(db, policy, { shouldStop: () => this.#stopping });
    if (result.jobs || result.chunks || result.deliveries || result.uploads) {
      log.info({ ...result, ms: Math.round(performance.now() - started) }, 'retention removed old job logs, uploaded files and webhook deliveries');
    }
    this.emit('pass', result);
    return result;
  }
}
