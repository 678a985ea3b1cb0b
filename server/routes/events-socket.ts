/**
 * `/api/events`: the WebSocket browsers and the CLI use to follow jobs live. The messages
 * of both directions are defined in common/live-events.ts.
 *
 * Client → queen: `{"type":"subscribe","jobId":"…","after":0}` (after = last seq seen,
 * to resume after a reconnect) and `{"type":"unsubscribe","jobId":"…"}`.
 * Queen → client: `{"type":"job","job":{…}}` (a snapshot at subscribe and on every status
 * change), `{"type":"events","jobId":"…","events":[…]}` (consecutive stored events) and
 * `{"type":"error","code":"…","message":"…"}`.
 *
 * For overview pages: `{"type":"subscribe-projects","projectId"?:"…"}` delivers
 * `{"type":"project-job","job":{…}}` on every status change of any job (of that project),
 * and `{"type":"subscribe-drones"}` delivers `{"type":"drones-changed"}` when a drone
 * connects or disconnects. These carry no history: after a reconnect a page re-reads
 * what it shows.
 */
import type { WebSocket } from 'ws';
import type { Db } from '../db/client.ts';
import { findJob, type Job } from '../db/jobs.ts';
import type { StoredEvent } from '../db/job-log.ts';
import type { LiveBus } from '../jobs/live-bus.ts';
import { describeZodError } from '../jobs/repo-config.ts';
import { JobSubscription, type SubscriberSocket } from '../live/job-subscription.ts';
import type { Logger } from '../logger.ts';
import type { DroneHub } from '../scheduler/drone-hub.ts';
import type { StillAllowed } from './socket-upgrades.ts';
import { jobSummaryView } from './json-views.ts';
import { liveClientMessageSchema, type LiveJob, type LiveServerMessage } from '../../common/live-events.ts';

/** The job as subscribers see it: the API summary plus how far its log goes. */
const statusView = (job: Job): LiveJob => ({ ...jobSummaryView(job), lastSeq: job.lastSeq });

const MAX_SUBSCRIPTIONS = 100;

export interface EventsSocketDeps {
  db: Db;
  bus: LiveBus;
  log: Logger;
  hub?: DroneHub;
  /** Asked every `recheckMs`: a socket whose session ended or token was revoked is closed. */
  stillAllowed?: StillAllowed;
  recheckMs?: number;
}

/** Close code for a socket whose credential is no longer valid (4000–4999: the application's own). */
export const CREDENTIAL_GONE = 4401;

export function handleEventsSocket(ws: WebSocket, deps: EventsSocketDeps): void {
  const subs = new Map<string, JobSubscription>();
  const socket: SubscriberSocket = {
    send: (message, done) => ws.send(JSON.stringify(message), () => done()),
    get bufferedAmount() { return ws.bufferedAmount; },
    get open() { return ws.readyState === ws.OPEN; },
  };
  const reply = (message: LiveServerMessage) => socket.send(message, () => {});

  const onEvents = (jobId: string, events: StoredEvent[]) => subs.get(jobId)?.onLive(events);
  /** undefined: no overview subscription; null: every project; else one project's id. */
  let projectsFilter: string | null | undefined;
  const onStatus = (job: Job) => {
    subs.get(job.id)?.sendStatus(job, statusView);
    if (projectsFilter === null || projectsFilter === job.projectId) reply({ type: 'project-job', job: statusView(job) });
  };
  let watchingDrones = false;
  const onDrones = () => reply({ type: 'drones-changed' });
  const onRemoteEvents = (jobId: string) => subs.get(jobId)?.onStored();
  deps.bus.on('job-events', onEvents);
  deps.bus.on('job-status', onStatus);
  deps.bus.on('job-events-remote', onRemoteEvents);
  deps.bus.on('job-status-remote', onStatus);

  ws.on('message', async (raw) => {
    let parsed;
    try {
      parsed = liveClientMessageSchema.safeParse(JSON.parse(raw.toString()));
    } catch {
      return reply({ type: 'error', code: 'protocol_error', message: 'message is not valid JSON' });
    }
    if (!parsed.success) return reply({ type: 'error', code: 'protocol_error', message: describeZodError(parsed.error) });
    const msg = parsed.data;
    if (msg.type === 'subscribe-projects' || msg.type === 'unsubscribe-projects') {
      projectsFilter = msg.type === 'subscribe-projects' ? msg.projectId ?? null : undefined;
      return;
    }
    if (msg.type === 'subscribe-drones') {
      if (!watchingDrones && deps.hub) {
        watchingDrones = true;
        deps.hub.on('connected', onDrones);
        deps.hub.on('disconnected', onDrones);
      }
      return;
    }
    if (msg.type === 'unsubscribe') {
      subs.get(msg.jobId)?.close();
      subs.delete(msg.jobId);
      return;
    }
    if (subs.size >= MAX_SUBSCRIPTIONS) {
      return reply({ type: 'error', code: 'too_many_subscriptions', message: `at most ${MAX_SUBSCRIPTIONS} at once` });
    }
    try {
      const job = await findJob(deps.db, msg.jobId);
      if (!job) return reply({ type: 'error', code: 'not_found', message: `Job ${msg.jobId} does not exist`, jobId: msg.jobId });
      subs.get(msg.jobId)?.close();
      const sub = new JobSubscription(msg.jobId, msg.after, socket, deps.db, deps.log);
      subs.set(msg.jobId, sub);
      sub.start(job, statusView);
    } catch (err) {
      deps.log.error({ err }, 'subscribe failed');
      reply({ type: 'error', code: 'internal_error', message: 'subscribe failed' });
    }
  });

  // Logging out, a revoked token or a deleted user must also end what is already open.
  const recheck = deps.stillAllowed && setInterval(async () => {
    const allowed = await deps.stillAllowed!().catch((err) => {
      deps.log.warn({ err }, 'could not re-check an events socket; keeping it until the next check');
      return true;
    });
    if (!allowed && ws.readyState === ws.OPEN) ws.close(CREDENTIAL_GONE, 'Your session ended or your token was revoked');
  }, deps.recheckMs ?? 30_000);
  recheck?.unref();

  ws.on('close', () => {
    clearInterval(recheck);
    deps.bus.off('job-events', onEvents);
    deps.bus.off('job-status', onStatus);
    deps.bus.off('job-events-remote', onRemoteEvents);
    deps.bus.off('job-status-remote', onStatus);
    deps.hub?.off('connected', onDrones);
    deps.hub?.off('disconnected', onDrones);
    for (const s of subs.values()) s.close();
    subs.clear();
  });
}
