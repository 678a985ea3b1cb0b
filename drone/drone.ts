/**
 * The drone: takes jobs from the queen up to its capacity, runs them concurrently, and
 * streams their events back through the outbox, across reconnects.
 *
 * - `job:assign`: taken when a slot is free and the drone has the labels and plugins the
 *   job requires — its first event, `job:started` (seq 1), says so — else `job:rejected`
 *   with the reason. A repeated assign of a job the drone already runs under the same
 *   lease is answered `job:accepted` (its started went out with the first).
 * - `job:cancel` with the job's current lease stops it (status `cancelled`).
 * - `queen:welcome` after a reconnect: jobs the queen abandons are stopped and their
 *   events dropped; the others replay from the last acknowledged seq.
 * - `drone:drain`: no new jobs; the drone stops once its jobs are done and acknowledged.
 * - `stop()` (SIGTERM/SIGINT): no new jobs, running ones are stopped (they end `errored`,
 *   so the queen may re-queue them), finished jobs' teardowns (containers, workspaces,
 *   removed after their results) awaited, their last events flushed for a bounded time.
 *
 * One drone per data directory: it owns the repository caches, workspaces and spill files
 * under it, and clears stale workspaces and spill files of an earlier run at start.
 */
import { EventEmitter } from 'node:events';
import { join } from 'node:path';
import { BurstCollector } from '../common/burst-collector.ts';
import { oldGenerationGrowth } from '../common/old-generation-growth.ts';
import type { JobAssign, JobCancel, JobQueryInfo, JobSpec, QueenWelcome } from '../common/protocol/index.ts';
import { RepoCache } from './checkout.ts';
import type { DroneConfig } from './config.ts';
import { QueenConnection } from './connection.ts';
import type { QueenConnectionOptions } from './connection.ts';
import { EventOutbox } from './event-outbox.ts';
import type { Executor } from './executors/executor.ts';
import type { Logger } from './logger.ts';
import { removeTree } from './remove-tree.ts';
import { runJob } from './runner.ts';
import { placeUploadedFiles } from './upload-files.ts';
import type { JobOutcome, StopReason } from './runner.ts';

export interface DroneOptions {
  config: DroneConfig;
  logger: Logger;
  /** One executor for every job, or a choice per job (see executors/choose.ts). */
  executor: Executor | ((spec: JobSpec) => Executor);
  /** Connection tuning (tests use short intervals). */
  connection?: Partial<Pick<QueenConnectionOptions, 'pingIntervalMs' | 'welcomeTimeoutMs' | 'backoff' | 'highWaterMark'>>;
  outboxMemoryLimitBytes?: number;
  cleanupTimeoutMs?: number;
  /** How long `stop()` waits for the queen to acknowledge the last events. */
  flushTimeoutMs?: number;
}

export interface DroneEvents {
  'job:started': [jobId: string];
  /** The job's result is out and its teardown (workspace, containers) is over. */
  'job:finished': [jobId: string, outcome: JobOutcome];
  /** After `stop()` or a completed drain: the connection is closed. */
  stopped: [];
}

interface RunningJob {
  lease: string;
  controller: AbortController;
  done: Promise<void>;
}

export class Drone extends EventEmitter<DroneEvents> {
  readonly connection: QueenConnection;
  readonly outbox: EventOutbox;
  readonly #config: DroneConfig;
  readonly #log: Logger;
  readonly #repos: RepoCache;
  readonly #jobs = new Map<string, RunningJob>();
  /**
   * Teardowns of finished jobs (containers and workspaces removed after the result was
   * reported: runner.ts's deferTeardown); stop() waits for them. What a killed drone
   * leaves, its next start removes (stale Docker resources, old workspaces).
   */
  readonly #teardowns = new Set<Promise<void>>();
  /**
   * After 16 MB of job output and 2 s with less than 64 KiB of it (other jobs' few lines do
   * not put it off), the garbage of it is collected, and a young collection follows every 8 MB
   * of output (burst-collector.ts says why); from 2 MiB of it on, the old generation may
   * triple between full collections (old-generation-growth.ts).
   */
  readonly #collector = new BurstCollector({
    minBytes: 16 * 1024 * 1024, quietMs: 2_000, quietBytes: 64 * 1024, sweepEveryBytes: 8 * 1024 * 1024, during: oldGenerationGrowth,
  });
  #draining = false;
  #stopping: Promise<void> | undefined;

  readonly #options: DroneOptions;

  constructor(options: DroneOptions) {
    super();
    this.#options = options;
    this.#config = options.config;
    this.#log = options.logger;
    this.#repos = new RepoCache({ dataDir: this.#config.dataDir, hostEnv: this.#config.hostEnv, gitTimeouts: this.#config.gitTimeouts });
    this.outbox = new EventOutbox({
      spillDir: join(this.#config.dataDir, 'outbox'),
      memoryLimitBytes: options.outboxMemoryLimitBytes ?? this.#config.outboxMemoryBytes,
      logger: this.#log,
    });
    this.connection = new QueenConnection({
      ...options.connection,
      queenUrl: this.#config.queenUrl,
      queenUrls: this.#config.queenUrls,
      token: this.#config.token,
      logger: this.#log,
      hello: () => ({
        name: this.#config.name,
        capacity: this.#config.capacity,
        speed: this.#config.speed,
        labels: this.#config.labels,
        plugins: this.#config.plugins,
        running: this.outbox.runningRefs(),
      }),
      heartbeatJobs: () => this.outbox.runningRefs().map(({ jobId, lease }) => ({ jobId, lease })),
    });
    this.outbox.on('closed', () => this.#stopIfIdle());
    this.connection.on('connected', (welcome) => this.#onWelcome(welcome));
    this.connection.on('disconnected', (reason) => this.#log.warn({ reason, running: this.#jobs.size }, 'lost the queen; jobs keep running'));
    this.connection.on('assign', (m) => this.#onAssign(m));
    this.connection.on('cancel', (m) => this.#onCancel(m));
    this.connection.on('ack', (m) => this.outbox.ack(m.jobId, m.lease, m.seq));
    this.connection.on('query-info', (m) => this.#onQueryInfo(m));
    this.connection.on('drain', () => {
      this.#log.info({ running: this.#jobs.size }, 'draining: no new jobs, stopping when idle');
      this.#draining = true;
      this.#stopIfIdle();
    });
  }

  /** Jobs currently running (not counting finished jobs whose events are still unacknowledged). */
  get running(): number {
    return this.#jobs.size;
  }

  async start(): Promise<void> {
    // Workspaces of a previous run belong to jobs that died with it.
    if (!this.#config.keepWorkspaces) await removeTree(join(this.#config.dataDir, 'work'));
    this.#log.info({ drone: this.#config.name, capacity: this.#config.capacity, labels: this.#config.labels }, 'drone starting');
    this.outbox.attach(this.connection);
    this.connection.start();
  }

  /** Graceful stop: see the file comment. Idempotent. */
  stop(): Promise<void> {
    this.#stopping ??= this.#shutdown();
    return this.#stopping;
  }

  async #shutdown(): Promise<void> {
    this.#draining = true;
    const reason: StopReason = { status: 'errored', message: `Drone ${this.#config.name} shut down while the job was running` };
    for (const job of this.#jobs.values()) job.controller.abort(reason);
    await Promise.all([...this.#jobs.values()].map((j) => j.done));
    await Promise.all(this.#teardowns);
    await this.#waitForAcks(this.#options.flushTimeoutMs ?? 5_000);
    await this.connection.stop();
    this.outbox.dispose();
    this.#log.info('drone stopped');
    this.emit('stopped');
  }

  #stopIfIdle(): void {
    if (this.#draining && !this.#stopping && this.#jobs.size === 0 && this.outbox.size === 0) void this.stop();
  }

  #waitForAcks(timeoutMs: number): Promise<void> {
    if (this.outbox.size === 0 || !this.connection.isConnected) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.outbox.off('closed', onClosed);
        this.connection.off('disconnected', done);
        resolve();
      };
      const onClosed = () => {
        if (this.outbox.size === 0) done();
      };
      const timer = setTimeout(done, timeoutMs);
      this.outbox.on('closed', onClosed);
      this.connection.on('disconnected', done);
    });
  }

  #onWelcome(welcome: QueenWelcome): void {
    const abandoned = this.outbox.applyWelcome(welcome.resume);
    for (const jobId of abandoned) {
      this.#log.warn({ jobId }, 'the queen abandoned a job on reconnect; stopping it');
      this.#jobs.get(jobId)?.controller.abort({ status: 'cancelled', message: 'The queen abandoned the job' } satisfies StopReason);
    }
  }

  #onAssign({ lease, spec }: JobAssign): void {
    const jobId = spec.jobId;
    const reject = (reason: string) => {
      this.#log.info({ jobId, reason }, 'rejected a job');
      this.connection.send({ type: 'job:rejected', jobId, lease, reason });
    };
    const current = this.#jobs.get(jobId)?.lease ?? this.outbox.leaseOf(jobId);
    if (current !== undefined) {
      if (current === lease) this.connection.send({ type: 'job:accepted', jobId, lease });
      else reject('the job is already on this drone under another lease');
      return;
    }
    if (this.#draining) return reject('the drone is draining');
    if (this.#jobs.size >= this.#config.capacity) return reject(`no free slot (capacity ${this.#config.capacity})`);
    const missingLabels = spec.requires.labels.filter((l) => !this.#config.labels.includes(l));
    if (missingLabels.length) return reject(`missing labels: ${missingLabels.join(', ')}`);
    const missingPlugins = spec.requires.plugins.filter((p) => !this.#config.plugins.includes(p));
    if (missingPlugins.length) return reject(`missing plugins: ${missingPlugins.join(', ')}`);

    this.outbox.open(jobId, lease);
    // `job:started` is the acceptance, sent before the runner's set-up (its logger, masker,
    // plans): the queen stores it, and the build shows as running, while the drone sets up.
    // No `job:accepted` before it: the queen reads nothing from one, and on a machine where
    // the two processes share a core its frame woke the queen for nothing and delayed the
    // started behind it (trigger → started ~2 ms p50 sooner without, docs/PERFORMANCE.md).
    this.outbox.push(jobId, { type: 'job:started' });
    const log = this.#log.child({ jobId, lease });
    const controller = new AbortController();
    let tornDown: Promise<void> | undefined;
    const done = runJob({
      spec,
      emit: (event) => {
        if ('data' in event) this.#collector.note(event.data.length);
        else if ('bytes' in event) this.#collector.note(event.bytes.reduce((n, part) => n + part.length, 0));
        this.outbox.push(jobId, event);
      },
      signal: controller.signal,
      // A command whose output outruns the queen waits rather than spilling — this job's,
      // when it is among those that filled the outbox (event-outbox.ts).
      outputFlow: this.outbox.flowOf(jobId),
      startedEmitted: true,
      executor: typeof this.#options.executor === 'function' ? this.#options.executor(spec) : this.#options.executor,
      workspaces: this.#repos,
      keepWorkspaces: this.#config.keepWorkspaces,
      cleanupTimeoutMs: this.#options.cleanupTimeoutMs,
      deferTeardown: (teardown) => {
        tornDown = teardown;
        this.#teardowns.add(teardown);
        void teardown.finally(() => this.#teardowns.delete(teardown));
      },
      // Uploaded files come over HTTP from the queen, under this job's lease (upload-files.ts):
      // the queen connected to now, which with several queens need not be the first.
      placeFiles: (workspace, signal, logLine) => placeUploadedFiles({
        queenUrl: this.connection.queenUrl, token: this.#config.token, jobId, lease, files: spec.files ?? [], workspace, signal, log: logLine,
      }),
    }).catch((err: unknown): JobOutcome => {
      // A bug in the runner must still end the job for the queen.
      log.error({ err }, 'job runner crashed');
      const outcome: JobOutcome = { status: 'errored', message: 'The drone failed while running the job' };
      this.outbox.push(jobId, { type: 'job:done', ...outcome } as const);
      return outcome;
    }).then(async (outcome) => {
      log.info({ status: outcome.status }, 'job finished');
      // The slot is free with the result; `job:finished` waits for the teardown as well.
      this.#jobs.delete(jobId);
      this.#stopIfIdle();
      await tornDown;
      this.emit('job:finished', jobId, outcome);
    });
    this.#jobs.set(jobId, { lease, controller, done });
    // Logged once the job has begun (its job:started is on the socket): a log line is a
    // write to the drone's output that would otherwise delay every build's start.
    log.info({ project: spec.projectName, number: spec.number }, 'job accepted');
    this.emit('job:started', jobId);
  }

  #onCancel({ jobId, lease, reason }: JobCancel): void {
    const job = this.#jobs.get(jobId);
    if (!job || job.lease !== lease) {
      this.#log.debug({ jobId, lease }, 'ignored a cancel for a job not running here under that lease');
      return;
    }
    this.#log.info({ jobId, reason }, 'cancelling a job');
    job.controller.abort({ status: 'cancelled', message: reason ?? 'Cancelled' } satisfies StopReason);
  }

  #onQueryInfo({ jobId }: JobQueryInfo): void {
    let sent = 0;
    for (const frame of this.outbox.infoFrames(jobId)) {
      this.connection.sendFrame(frame, () => {});
      sent++;
    }
    // The protocol has no "unknown job" answer (job:info needs a lease).
    if (sent === 0) this.#log.warn({ jobId }, 'the queen asked about a job this drone does not hold');
  }
}
