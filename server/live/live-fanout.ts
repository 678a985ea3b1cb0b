/**
 * The queen's one listener on the live bus for every `/api/events` socket. Subscriptions
 * are indexed by job (and overview watchers by project), so a batch touches only its job's
 * subscribers; each batch or status change is encoded once and the same frame is sent to
 * all of them (live-client.ts caps what any one client may hold; job-subscription.ts
 * serves a client that fell behind from storage). Costs per event: one encoding, then a
 * write per subscriber — not a JSON.stringify and a listener call per open socket; and a
 * crowd's writes are spread over turns of the event loop, batches stored meanwhile
 * merged into the next round.
 */
import type { Db } from '../db/client.ts';
import type { StoredEvent } from '../db/job-log.ts';
import type { Job } from '../db/jobs.ts';
import type { LiveBus } from '../jobs/live-bus.ts';
import type { Logger } from '../logger.ts';
import type { DroneHub } from '../scheduler/drone-hub.ts';
import type { LiveJob } from '../../common/live-events.ts';
import { CatchUpReads } from './catch-up-reads.ts';
import type { LiveClient } from './live-client.ts';
import { encodeFrame, type LiveFrame } from './live-frame.ts';
import { JobSubscription, type JobFeedState, type LiveBatch } from './job-subscription.ts';
import { FINAL_STATUSES } from '../../common/protocol/index.ts';

/** The subscriptions of one job. */
class JobFeed implements JobFeedState {
  readonly subs = new Set<JobSubscription>();
  tail?: { attempt: number; lastSeq: number };
  /** Batches stored while a round of writes to a crowd of subscribers was under way. */
  pending: { attempt: number; events: StoredEvent[] }[] = [];
  delivering = false;
  /** Batches before the feed existed reached no subscriber live: `notBefore` starts at its creation. */
  constructor(public notBefore: number) {}
}

/**
 * Subscribers written to before the fan-out lets the event loop run other work (event
 * ingest, drones): a round of writes to ten thousand sockets takes a good part of a
 * second. Small turns (~2–3 ms of writes) let the next batch of a burst be stored early in
 * a round and join it for the rest of the crowd.
 */
const SUBSCRIBERS_PER_TURN = 100;

/** Reads of a job's row for one subscription, at most (subscribeFresh). */
const MAX_SNAPSHOT_READS = 5;

/** Overview watchers of every project's jobs are filed under this key. */
const ALL_PROJECTS = '*';

export interface LiveFanoutDeps {
  db: Db;
  bus: LiveBus;
  log: Logger;
  hub?: DroneHub;
  /** The job as subscribers see it. */
  view(job: Job): LiveJob;
}

export interface LiveFanoutStats {
  clients: number;
  subscriptions: number;
  /** The most bytes the queen ever held unsent for one client (bounded by its cap, or one frame larger than it). */
  peakBufferedBytes: number;
  /** Database reads made for subscribers catching up (a read shared by many counts once). */
  catchUpReads: number;
}

export class LiveFanout {
  #clock = 0;
  readonly #jobs = new Map<string, JobFeed>();
  readonly #projects = new Map<string, Set<LiveClient>>();
  readonly #droneWatchers = new Set<LiveClient>();
  readonly #clients = new Map<LiveClient, Map<string, JobSubscription>>();
  readonly #reads: CatchUpReads;
  /** Per job, the snapshot reads under way for subscribers: each learns of a status change during it (subscribeFresh). */
  readonly #snapshotReads = new Map<string, Set<{ changed: boolean }>>();
  #peakOfClosed = 0;
  /** Subscribers written to per turn of the event loop (tests make it small, to see rounds span turns). */
  subscribersPerTurn = SUBSCRIBERS_PER_TURN;

  constructor(private readonly deps: LiveFanoutDeps) {
    this.#reads = new CatchUpReads(deps.db, () => this.#clock);
  }

  start(): void {
    this.deps.bus.on('job-events', this.#onEvents);
    this.deps.bus.on('job-status', this.#onStatus);
    this.deps.bus.on('job-events-remote', this.#onRemoteEvents);
    this.deps.bus.on('job-status-remote', this.#onStatus);
    this.deps.hub?.on('connected', this.#onDrones);
    this.deps.hub?.on('disconnected', this.#onDrones);
    this.deps.bus.on('drones-remote', this.#onDrones);
  }

  stop(): void {
    this.deps.bus.off('job-events', this.#onEvents);
    this.deps.bus.off('job-status', this.#onStatus);
    this.deps.bus.off('job-events-remote', this.#onRemoteEvents);
    this.deps.bus.off('job-status-remote', this.#onStatus);
    this.deps.hub?.off('connected', this.#onDrones);
    this.deps.hub?.off('disconnected', this.#onDrones);
    this.deps.bus.off('drones-remote', this.#onDrones);
  }

  addClient(client: LiveClient): void {
    this.#clients.set(client, new Map());
  }

  /** Forgets everything of a client whose socket closed. */
  removeClient(client: LiveClient): void {
    const subs = this.#clients.get(client);
    if (!subs) return;
    for (const jobId of [...subs.keys()]) this.unsubscribe(client, jobId);
    this.watchProjects(client, undefined);
    this.#droneWatchers.delete(client);
    this.#clients.delete(client);
    this.#peakOfClosed = Math.max(this.#peakOfClosed, client.peakBufferedBytes);
  }

  subscriptionCount(client: LiveClient): number {
    return this.#clients.get(client)?.size ?? 0;
  }

  /**
   * Reads the job's row with `read` and follows it for the client from `after`; undefined
   * (and no subscription) when there is no such job. A status change announced while the
   * row was being read may or may not be in what the read returns, and the subscription
   * that would carry it did not exist yet: the row is read again, so the client's first
   * status is never older than one it was not sent (a page then showed `assigned` while
   * the job's log streamed). Once subscribed, every later change reaches it as a frame.
   */
  async subscribeFresh(client: LiveClient, jobId: string, after: number, read: () => Promise<Job | undefined>): Promise<Job | undefined> {
    for (let reads = 1; ; reads++) {
      const mark = { changed: false };
      let marks = this.#snapshotReads.get(jobId);
      if (!marks) this.#snapshotReads.set(jobId, (marks = new Set()));
      marks.add(mark);
      let job: Job | undefined;
      try {
        job = await read();
      } finally {
        marks.delete(mark);
        if (marks.size === 0) this.#snapshotReads.delete(jobId);
      }
      if (!job) return undefined;
      // A job changes status a handful of times; past that many reads, its next change is a frame anyway.
      if (!mark.changed || reads >= MAX_SNAPSHOT_READS) {
        this.subscribe(client, job, after);
        return job;
      }
    }
  }

  /** Follows `job` for the client from `after` (replacing a subscription it had to the job). */
  subscribe(client: LiveClient, job: Job, after: number): void {
    const subs = this.#clients.get(client);
    if (!subs) return; // closed while its snapshot was read
    this.unsubscribe(client, job.id);
    let feed = this.#jobs.get(job.id);
    if (!feed) this.#jobs.set(job.id, (feed = new JobFeed(this.#clock)));
    const ended = (FINAL_STATUSES as readonly string[]).includes(job.status);
    const sub = new JobSubscription(
      job.id, job.attempt, after, client,
      { feed, reads: this.#reads, log: this.deps.log },
      ended ? job.lastSeq : undefined,
    );
    feed.subs.add(sub);
    subs.set(job.id, sub);
    sub.start(encodeFrame({ type: 'job', job: this.deps.view(job) }));
  }

  unsubscribe(client: LiveClient, jobId: string): void {
    const sub = this.#clients.get(client)?.get(jobId);
    if (!sub) return;
    sub.close();
    this.#clients.get(client)!.delete(jobId);
    const feed = this.#jobs.get(jobId);
    feed?.subs.delete(sub);
    if (feed?.subs.size === 0) this.#jobs.delete(jobId);
  }

  /** `null`: every project's jobs; a project id: its jobs; undefined: none. */
  watchProjects(client: LiveClient, projectId: string | null | undefined): void {
    for (const [key, watchers] of this.#projects) {
      if (watchers.delete(client) && watchers.size === 0) this.#projects.delete(key);
    }
    if (projectId === undefined) return;
    const key = projectId ?? ALL_PROJECTS;
    let watchers = this.#projects.get(key);
    if (!watchers) this.#projects.set(key, (watchers = new Set()));
    watchers.add(client);
  }

  watchDrones(client: LiveClient): void {
    this.#droneWatchers.add(client);
  }

  stats(): LiveFanoutStats {
    let subscriptions = 0;
    let peak = this.#peakOfClosed;
    for (const [client, subs] of this.#clients) {
      subscriptions += subs.size;
      peak = Math.max(peak, client.peakBufferedBytes);
    }
    return { clients: this.#clients.size, subscriptions, peakBufferedBytes: peak, catchUpReads: this.#reads.reads };
  }

  readonly #onEvents = (jobId: string, events: StoredEvent[], attempt: number) => {
    const feed = this.#jobs.get(jobId);
    if (!feed || events.length === 0) return;
    feed.notBefore = ++this.#clock;
    feed.tail = { attempt, lastSeq: events[events.length - 1].seq };
    feed.pending.push({ attempt, events });
    if (!feed.delivering) this.#deliver(jobId, feed);
  };

  /**
   * Writes the feed's pending batches to its subscribers, in rounds: each round takes
   * every batch pending, merged into one frame where they follow on, and goes through
   * the subscribers as they were when it began, a turn of the event loop per
   * SUBSCRIBERS_PER_TURN. A batch stored while a round is under way joins it for the
   * subscribers it has yet to reach (they get one frame with both), and goes in the next
   * round to those it reached before (the others, already past it, skip it there). So a
   * burst of output stored in two batches costs a crowd about one write per subscriber,
   * not two, and the later half of the crowd gets the burst's end without waiting for a
   * second round. A small feed's round ends at once, without waiting.
   */
  #deliver(jobId: string, feed: JobFeed): void {
    feed.delivering = true;
    const round = () => {
      let stored = feed.pending.splice(0);
      let batches = mergeConsecutive(jobId, stored);
      /** Batches that joined this round after its first turn: the next round's, for the subscribers reached before. */
      const joined: JobFeed['pending'] = [];
      const subs = [...feed.subs];
      let next = 0;
      const turn = () => {
        if (next > 0 && feed.pending.length > 0) {
          const fresh = feed.pending.splice(0);
          joined.push(...fresh);
          stored = stored.concat(fresh);
          batches = mergeConsecutive(jobId, stored);
        }
        const end = Math.min(subs.length, next + this.subscribersPerTurn);
        for (; next < end; next++) for (const batch of batches) subs[next].onBatch(batch);
        if (next < subs.length) return void setImmediate(turn);
        feed.pending.unshift(...joined);
        if (feed.pending.length > 0) setImmediate(round);
        else feed.delivering = false;
      };
      turn();
    };
    round();
  }

  readonly #onRemoteEvents = (jobId: string) => {
    const feed = this.#jobs.get(jobId);
    if (!feed) return;
    feed.notBefore = ++this.#clock;
    feed.tail = undefined; // what the other queen stored is known only to the database
    for (const sub of feed.subs) sub.onStoredElsewhere();
  };

  readonly #onStatus = (job: Job) => {
    for (const mark of this.#snapshotReads.get(job.id) ?? []) mark.changed = true;
    const feed = this.#jobs.get(job.id);
    const all = this.#projects.get(ALL_PROJECTS);
    const ofProject = this.#projects.get(job.projectId);
    if (!feed && !all && !ofProject) return;
    if (feed) {
      const frame = encodeFrame({ type: 'job', job: this.deps.view(job) });
      for (const sub of feed.subs) sub.sendStatus(frame);
    }
    if (all || ofProject) {
      const frame = encodeFrame({ type: 'project-job', job: this.deps.view(job) });
      for (const watchers of [all, ofProject]) for (const client of watchers ?? []) this.#sendOverview(client, frame);
    }
  };

  #dronesFrame = encodeFrame({ type: 'drones-changed' });
  readonly #onDrones = () => {
    for (const client of this.#droneWatchers) this.#sendOverview(client, this.#dronesFrame);
  };

  /** Overview messages carry no history to re-read: a client too far behind for one is ended, and its page reconnects and re-reads. */
  #sendOverview(client: LiveClient, frame: LiveFrame): void {
    if (!client.trySend(frame)) client.overflowed();
  }
}

/** Batches of one attempt whose seqs follow on become one; each is encoded once, when first sent. */
function mergeConsecutive(jobId: string, stored: { attempt: number; events: StoredEvent[] }[]): LiveBatch[] {
  const merged: { attempt: number; events: StoredEvent[] }[] = [];
  for (const b of stored) {
    const last = merged.at(-1);
    if (last && last.attempt === b.attempt && last.events[last.events.length - 1].seq + 1 === b.events[0].seq) {
      last.events = last.events.concat(b.events);
    } else {
      merged.push({ ...b });
    }
  }
  return merged.map(({ attempt, events }) => {
    let frame: LiveFrame | undefined;
    return {
      attempt,
      firstSeq: events[0].seq,
      lastSeq: events[events.length - 1].seq,
      events,
      frame: () => (frame ??= encodeFrame({ type: 'events', jobId, events })),
    };
  });
}
