/**
 * Fires project schedules at their due times. It sleeps on one timer until the earliest
 * next due time of any enabled schedule (never polling every second); each pass reads the
 * projects' schedules and their firings from the database, fires what is due, and arms the
 * timer again. A pass also runs at start, after every project write (`kick`, and a NOTIFY
 * to other queens on a shared PostgreSQL), and at least every `refreshMs` — the safety net
 * for a change it was not told of.
 *
 * Each due time fires exactly once, across crashes, database errors and several queens on
 * one database. Its job is inserted first, with the due time's dedup key (firing-key.ts;
 * unique per project), and the firing recorded in `schedule_firings` second: a queen that
 * dies between the two leaves a job and an unrecorded firing, and the next pass (of any
 * queen) meets the key — "already fired" — and only records it; two queens racing the
 * same due time make one job, the other insert failing on the key. A job whose creation
 * fails is classified (firing-failure.ts): a transient failure (the database) is tried
 * again with a backoff (firing-retries.ts), the timer armed for it; a permanent one (the
 * params no longer allowed, the project gone) is logged once and the due time consumed.
 *
 * A pass fires a schedule for its latest due time when that is later than its last firing:
 * a queen that was down for three due times fires once when it is back, not three times.
 * A schedule seen for the first time records "now" as its baseline and fires from then on,
 * never for the past; disabled schedules are skipped (and do not catch up when enabled
 * again: see schedule-changes.ts).
 */
import { EventEmitter } from 'node:events';
import { randomUUID } from 'node:crypto';
import type { Db } from '../db/client.ts';
import type { Notifier } from '../db/notifier.ts';
import { currentFiring, firingKey, insertBaseline, listScheduledProjects, loadFirings, recordFiring, type ScheduledProject } from '../db/schedule-firings.ts';
import type { Logger } from '../logger.ts';
import { CoalescedLoop } from '../util/coalesced-loop.ts';
import { firingFailure } from './firing-failure.ts';
import { FiringRetries } from './firing-retries.ts';
import { recordScheduleChanges } from './schedule-changes.ts';
import { isEnabled, timesOf, type Schedule } from './schedule.ts';

/** setTimeout takes at most 2^31−1 ms (~24.8 days); a longer delay would fire at once. */
export const MAX_TIMER_MS = 2 ** 31 - 1;
const DEFAULT_REFRESH_MS = 60_000;
/** A firing that failed transiently is tried again after 1 s, 2 s, 4 s… at most a minute apart. */
const DEFAULT_RETRY_MS = { first: 1000, max: 60_000 };
const CHANNEL = 'hive_schedules';

/**
 * How long to sleep from `now` until `at`: never more than `capMs` (the refresh period, and
 * setTimeout's limit), at least 1 ms — due times are whole seconds, so waking a millisecond
 * past one finds it due rather than a hair before it.
 */
export function timerDelay(now: Date, at: Date | null, capMs: number): number {
  const cap = Math.min(capMs, MAX_TIMER_MS);
  if (!at) return cap;
  return Math.max(1, Math.min(cap, at.getTime() - now.getTime() + 1));
}

export interface Firing {
  projectId: string;
  schedule: string;
  dueAt: Date;
  jobId: string;
}

export interface ScheduleLoopEvents {
  /** A schedule fired: its job exists. */
  fired: [firing: Firing];
  /** A pass ended; `nextAt` is the earliest next due time of any enabled schedule, or null. */
  pass: [result: { fired: number; nextAt: Date | null }];
}

export interface ScheduleLoopDeps {
  db: Db;
  log: Logger;
  /**
   * Creates a firing's job with the due time's dedup key (fire-schedule.ts through
   * JobControl); returns it, or throws DuplicateJobError when that due time has its job.
   */
  fire(project: ScheduledProject, schedule: Schedule, dueAt: Date): Promise<{ id: string }>;
  /** Tells the other queens on a shared PostgreSQL that schedules changed. */
  notifier?: Notifier;
  /** The clock (tests pass a fake one). */
  now?: () => Date;
  /** The longest sleep between passes (default a minute). */
  refreshMs?: number;
  /** The backoff of a firing that failed transiently: first delay, and the longest (default 1 s, 60 s). */
  retryMs?: { first: number; max: number };
}

export class ScheduleLoop extends EventEmitter<ScheduleLoopEvents> {
  readonly #deps: ScheduleLoopDeps;
  readonly #now: () => Date;
  readonly #refreshMs: number;
  readonly #loop: CoalescedLoop;
  readonly #id = randomUUID();
  #timer: NodeJS.Timeout | undefined;
  #unlisten: (() => Promise<void>) | undefined;
  #stopped = false;
  #nextAt: Date | null = null;
  /** Stored schedules that no longer parse, warned of once each. */
  readonly #warned = new Set<string>();
  readonly #retries: FiringRetries;

  constructor(deps: ScheduleLoopDeps) {
    super();
    this.#deps = deps;
    this.#now = deps.now ?? (() => new Date());
    this.#refreshMs = deps.refreshMs ?? DEFAULT_REFRESH_MS;
    const retryMs = deps.retryMs ?? DEFAULT_RETRY_MS;
    this.#retries = new FiringRetries(retryMs.first, retryMs.max);
    this.#loop = new CoalescedLoop(() => this.#pass(), (err) => {
      deps.log.warn({ err }, 'schedule pass failed; trying again shortly');
      this.#arm(null, Math.min(this.#refreshMs, 5000));
    });
  }

  /** The earliest next due time of any enabled schedule, as of the last pass. */
  get nextAt(): Date | null {
    return this.#nextAt;
  }

  /** Runs the first pass (which fires what was missed while no queen ran) and listens for changes. */
  async start(): Promise<void> {
    const { notifier } = this.#deps;
    if (notifier?.shared) {
      this.#unlisten = await notifier.listen(CHANNEL, (from) => {
        if (from !== this.#id) this.kick();
      });
    }
    this.kick();
  }

  /** Asks for a pass soon (schedules changed). */
  kick(): void {
    this.#loop.kick();
  }

  /** A pass that begins after this call; resolves when it has ended. */
  async runPass(): Promise<void> {
    this.kick();
    await this.#loop.settled();
  }

  /**
   * A project's schedules are about to change from `before` to `after` (empty for a new or
   * deleted project): restarts the firings of changed schedules (schedule-changes.ts), then
   * has every queen re-read the schedules. Call `kick` again once the change is stored.
   * `db`: the transaction that stores the project's change, so its baselines go with it.
   */
  async changing(projectId: string, before: readonly Schedule[], after: readonly Schedule[], db: Db = this.#deps.db): Promise<void> {
    await recordScheduleChanges(db, projectId, before, after, this.#now());
  }

  /** The change is stored: re-read the schedules here and on the other queens. */
  changed(): void {
    this.kick();
    if (this.#deps.notifier?.shared) {
      this.#deps.notifier.notify(CHANNEL, this.#id).catch((err) => this.#deps.log.warn({ err }, 'telling other queens of a schedule change failed'));
    }
  }

  /** Clears the timer and waits for a pass in progress (its firings complete). */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#unlisten?.().catch(() => undefined);
    await this.#loop.stop();
  }

  async #pass(): Promise<void> {
    const { db } = this.#deps;
    const now = this.#now();
    const [projects, firings] = await Promise.all([listScheduledProjects(db), loadFirings(db)]);
    let nextAt: Date | null = null;
    const earliest = (at: Date | null | undefined) => {
      if (at && (!nextAt || at < nextAt)) nextAt = at;
    };
    let fired = 0;
    const pending = new Set<string>();
    for (const project of projects) {
      for (const schedule of project.schedules as Schedule[]) {
        if (this.#stopped) return;
        if (!isEnabled(schedule)) continue;
        const times = this.#times(project, schedule);
        if (!times) continue;
        const key = firingKey(project.id, schedule.name);
        const last = firings.get(key);
        if (!last) {
          // First sight: from now on, never for the past.
          await insertBaseline(db, project.id, schedule.name, now);
        } else {
          const due = times.latest(now);
          if (due && due > last) {
            pending.add(key);
            const wait = this.#retries.waitUntil(key, due, now);
            if (wait) earliest(wait);
            else if (await this.#fire(project, schedule, due, now)) fired++;
            // Set when this firing failed transiently (now or before): wake up for it.
            earliest(this.#retries.waitUntil(key, due, now));
          }
        }
        earliest(times.next(last && last > now ? last : now));
      }
    }
    this.#retries.keepOnly(pending);
    this.#nextAt = nextAt;
    this.#arm(nextAt);
    this.emit('pass', { fired, nextAt });
  }

  /** Fires `schedule` for `dueAt` exactly once (see the top of this file); true when this call made its job. */
  async #fire(project: ScheduledProject, schedule: Schedule, dueAt: Date, now: Date): Promise<boolean> {
    const { db, log } = this.#deps;
    const key = firingKey(project.id, schedule.name);
    const about = { project: project.name, schedule: schedule.name, dueAt };
    let created = false;
    try {
      // Read afresh: since this pass began, another queen may have recorded this due time
      // or an edit restarted the schedule (a baseline after it) or removed it.
      const stored = await currentFiring(db, project.id, schedule.name);
      if (!stored || stored >= dueAt) {
        this.#retries.clear(key);
        return false;
      }
      try {
        const job = await this.#deps.fire(project, schedule, dueAt);
        created = true;
        log.info({ ...about, jobId: job.id }, 'schedule fired');
        this.emit('fired', { projectId: project.id, schedule: schedule.name, dueAt, jobId: job.id });
      } catch (err) {
        const failure = firingFailure(err);
        if (failure === 'transient') throw err;
        if (failure === 'permanent') {
          log.error({ err, ...about }, 'schedule was due but its job cannot be created; this due time is skipped');
        } else {
          log.debug(about, 'schedule\'s due time has its job already (an earlier attempt or another queen): recording it');
        }
      }
      // The job exists (or never will): only now is the due time recorded as fired.
      await recordFiring(db, project.id, schedule.name, dueAt);
      this.#retries.clear(key);
    } catch (err) {
      // The database (most likely): not recorded, so tried again — and should the job
      // exist already, the next attempt meets its dedup key and only records it.
      const retry = this.#retries.failed(key, dueAt, now);
      log.warn({ err, ...about, failures: retry.failures, retryAt: retry.at }, created
        ? 'schedule fired but recording the firing failed; trying again'
        : 'schedule was due but its job could not be created; trying again');
    }
    return created;
  }

  #times(project: ScheduledProject, schedule: Schedule) {
    try {
      return timesOf(schedule);
    } catch (err) {
      const key = `${firingKey(project.id, schedule.name)}\u0000${schedule.cron}\u0000${schedule.timezone ?? ''}`;
      if (!this.#warned.has(key)) {
        this.#warned.add(key);
        this.#deps.log.warn({ project: project.name, schedule: schedule.name, error: (err as Error).message }, 'schedule skipped: its cron expression cannot be used');
      }
      return undefined;
    }
  }

  #arm(at: Date | null, capMs = this.#refreshMs): void {
    clearTimeout(this.#timer);
    if (this.#stopped) return;
    this.#timer = setTimeout(() => this.kick(), timerDelay(this.#now(), at, capMs));
    // The timer alone must not keep the process alive; shutdown clears it anyway.
    this.#timer.unref();
  }
}
