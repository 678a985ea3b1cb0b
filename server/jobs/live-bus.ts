/**
 * In-process fan-out of what happens to jobs, for observers (browser sockets, plugin
 * hooks, the web UI). Emitted only after the change is persisted, so an observer that
 * reads the database after an event always finds what the event announced.
 */
import { EventEmitter } from 'node:events';
import type { Job } from '../db/jobs.ts';
import type { StoredEvent } from '../db/job-log.ts';

export interface LiveBusEvents {
  /** Consecutive events of a job's attempt, just persisted (with its lease when this queen ingested them from the drone). */
  'job-events': [jobId: string, events: StoredEvent[], attempt: number, lease?: string];
  /** A job's row changed status (queued, assigned, running, final …). */
  'job-status': [job: Job];
  /** Another queen stored events of this job (read them from the database). */
  'job-events-remote': [jobId: string];
  /** Another queen changed this job's status; for observers only (hooks ran there). */
  'job-status-remote': [job: Job];
  /** A drone connected to or disconnected from another queen (the fleet changed). */
  'drones-remote': [];
}

export class LiveBus extends EventEmitter<LiveBusEvents> {
  constructor() {
    super();
    // Observers are services (the live fan-out listens once for every socket), but
    // `?wait` requests add one each while they wait: there is no fixed bound.
    this.setMaxListeners(0);
  }
}
