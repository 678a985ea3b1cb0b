/**
 * Lets queens that share one PostgreSQL act as one: what happens on one queen is announced
 * with NOTIFY and replayed on the others' buses, so a browser on queen A follows a job whose
 * drone is connected to queen B, a job queued on A starts on a drone of B, and a cancel
 * given on A reaches the drone through B. Payloads are small (ids and seqs); receivers read
 * what they need from the database, which already holds it when the notice arrives.
 *
 * A queen alone on its database announces nothing (a NOTIFY per job event and status is
 * most of a trivial job's statements): it announces while other queens are live. It learns
 * of them from the queens table — at start, and on each presence beat (`refreshPeers`) —
 * and at once from the `joined` notice a queen sends when it starts listening, before it
 * serves anything. Each live queen answers that notice with a `welcome` once it announces
 * to the newcomer, and the newcomer waits for those answers (bounded: a queen killed a
 * moment ago still counts as live and never answers), so no notice a new queen needs is
 * skipped: it has no watchers, drones or cancels of its own until it serves, and by then
 * the others announce to it. A count from the table that began before a `joined` notice
 * was heard cannot undo it (it may not have seen the newcomer's row).
 */
import type { Db } from '../db/client.ts';
import { findJob, type Job } from '../db/jobs.ts';
import { countOtherLiveQueens } from '../db/queens.ts';
import type { StoredEvent } from '../db/job-log.ts';
import type { Notifier } from '../db/notifier.ts';
import type { JobLifecycle } from '../jobs/job-lifecycle.ts';
import type { LiveBus } from '../jobs/live-bus.ts';
import type { Logger } from '../logger.ts';
import type { DroneHub } from '../scheduler/drone-hub.ts';

const EVENTS = 'hive_job_events';
const STATUS = 'hive_job_status';
const QUEUE = 'hive_queue';
const CANCEL = 'hive_cancel';
const JOINED = 'hive_queen_joined';
const DRONES = 'hive_drones';
const WELCOME = 'hive_queen_welcome';
/** How long a starting queen waits for the live queens' welcomes (see the file comment). */
const WELCOME_WAIT_MS = 2_000;

interface Deps {
  db: Db;
  bus: LiveBus;
  hub: DroneHub;
  notifier: Notifier;
  log: Logger;
  /** Runnable jobs are announced to the other queens, and theirs scheduled here. */
  lifecycle: JobLifecycle;
  /** This queen's id in the queens table: its notices carry it (its own are ignored), and the other live queens are counted without it. */
  queenId: string;
  /** How many other queens are live (default: counted in the queens table). */
  countPeers?: () => Promise<number>;
  /** How long a starting queen waits for the live queens' welcomes (default WELCOME_WAIT_MS). */
  welcomeWaitMs?: number;
}

export class ClusterRelay {
  /** Whether another queen was live at the last look, or joined since. */
  #othersLive = false;
  /** `joined` notices heard: a count of live queens begun before the latest one is stale. */
  #joinsHeard = 0;
  /** Welcomes addressed to this queen while it starts. */
  #welcomes = 0;
  #onWelcome?: () => void;
  #unlisten: (() => Promise<void>)[] = [];
  readonly #onEvents = (jobId: string, events: StoredEvent[]) =>
    this.#send(EVENTS, { j: jobId, s: events[events.length - 1]?.seq ?? 0 });
  readonly #onStatus = (job: Job) => this.#send(STATUS, { j: job.id });
  readonly #onRunnable = (origin: 'local' | 'remote') => {
    if (origin === 'local') this.#send(QUEUE, {});
  };
  /** Pages listing the fleet on other queens refresh when a drone comes or goes here. */
  readonly #onDrones = () => this.#send(DRONES, {});

  constructor(private readonly deps: Deps) {}

  get shared(): boolean {
    return this.deps.notifier.shared;
  }

  /** Whether notices go out now: the database is shared and another queen is live. */
  get announcing(): boolean {
    return this.shared && this.#othersLive;
  }

  /** Counts the other live queens (each presence pass). */
  async refreshPeers(): Promise<number> {
    const joinsBefore = this.#joinsHeard;
    const others = await (this.deps.countPeers ?? (() => countOtherLiveQueens(this.deps.db, this.deps.queenId)))();
    if (this.#joinsHeard === joinsBefore) this.#othersLive = others > 0;
    return others;
  }

  async start(): Promise<void> {
    if (!this.shared) return;
    const { bus, notifier } = this.deps;
    bus.on('job-events', this.#onEvents);
    bus.on('job-status', this.#onStatus);
    this.deps.lifecycle.on('runnable', this.#onRunnable);
    this.deps.hub.on('connected', this.#onDrones);
    this.deps.hub.on('disconnected', this.#onDrones);
    const on = async (channel: string, handle: (p: Record<string, string>) => void | Promise<void>) => {
      this.#unlisten.push(await notifier.listen(channel, (raw) => {
        let payload: Record<string, string>;
        try {
          payload = JSON.parse(raw);
        } catch {
          return;
        }
        if (payload.q === this.deps.queenId) return; // our own notice
        Promise.resolve(handle(payload)).catch((err) => this.deps.log.warn({ err, channel }, 'handling a notice from another queen failed'));
      }));
    };
    await on(EVENTS, (p) => {
      bus.emit('job-events-remote', p.j);
    });
    await on(STATUS, async (p) => {
      const job = await findJob(this.deps.db, p.j);
      if (job) bus.emit('job-status-remote', job);
    });
    await on(QUEUE, () => this.deps.lifecycle.remoteRunnable());
    await on(DRONES, () => {
      bus.emit('drones-remote');
    });
    await on(JOINED, async (p) => {
      this.#joinsHeard++;
      this.#othersLive = true;
      await notifier.notify(WELCOME, JSON.stringify({ q: this.deps.queenId, to: p.q }));
    });
    await on(WELCOME, (p) => {
      if (p.to !== this.deps.queenId) return;
      this.#welcomes++;
      this.#onWelcome?.();
    });
    await on(CANCEL, (p) => {
      const drone = this.deps.hub.all().find((d) => d.jobs.has(p.j));
      drone?.link.send({ type: 'job:cancel', jobId: p.j, lease: p.l, reason: p.r });
    });
    // Listening now: the others start announcing to this queen once they hear it joined.
    const others = await this.refreshPeers();
    await notifier.notify(JOINED, JSON.stringify({ q: this.deps.queenId }));
    if (others > 0) await this.#welcomed(others);
  }

  /** Waits until `others` queens have answered this one's `joined` notice, or the bound passes. */
  async #welcomed(others: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await new Promise<void>((resolve) => {
      this.#onWelcome = () => {
        if (this.#welcomes >= others) resolve();
      };
      this.#onWelcome();
      timer = setTimeout(resolve, this.deps.welcomeWaitMs ?? WELCOME_WAIT_MS);
    });
    clearTimeout(timer);
    this.#onWelcome = undefined;
    if (this.#welcomes < others) this.deps.log.info({ live: others, answered: this.#welcomes }, 'not every live queen answered this one\'s start; one may have stopped a moment ago');
  }

  async stop(): Promise<void> {
    this.deps.bus.off('job-events', this.#onEvents);
    this.deps.bus.off('job-status', this.#onStatus);
    this.deps.lifecycle.off('runnable', this.#onRunnable);
    this.deps.hub.off('connected', this.#onDrones);
    this.deps.hub.off('disconnected', this.#onDrones);
    await Promise.all(this.#unlisten.map((u) => u().catch(() => {})));
    this.#unlisten = [];
  }

  /** Asks whichever queen holds the job's drone to cancel it; false when there are no other queens. */
  cancel(jobId: string, lease: string, reason: string): boolean {
    if (!this.announcing) return false;
    this.#send(CANCEL, { j: jobId, l: lease, r: reason });
    return true;
  }

  #send(channel: string, payload: Record<string, unknown>): void {
    if (!this.announcing) return;
    this.deps.notifier.notify(channel, JSON.stringify({ q: this.deps.queenId, ...payload })).catch((err) => {
      this.deps.log.warn({ err, channel }, 'notifying other queens failed');
    });
  }
}
