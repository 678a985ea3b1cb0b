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
 * connects or disconnects (to any queen sharing the database). These carry no history: after a reconnect a page re-reads
 * what it shows.
 *
 * This file reads what a socket asks; the queen-wide fan-out (server/live/live-fanout.ts)
 * delivers what happens, to every socket at once.
 */
import type { WebSocket } from 'ws';
import type { Db } from '../db/client.ts';
import { findJob, type Job } from '../db/jobs.ts';
import { describeZodError } from '../jobs/repo-config.ts';
import type { CredentialRechecks } from '../live/credential-rechecks.ts';
import { LiveClient } from '../live/live-client.ts';
import type { LiveFanout } from '../live/live-fanout.ts';
import { encodeFrame } from '../live/live-frame.ts';
import type { Logger } from '../logger.ts';
import type { EventsCredential } from './socket-upgrades.ts';
import { jobSummaryView } from './json-views.ts';
import { liveClientMessageSchema, type LiveJob, type LiveServerMessage } from '../../common/live-events.ts';

/** The job as subscribers see it: the API summary plus how far its log goes. */
export const liveJobView = (job: Job): LiveJob => ({ ...jobSummaryView(job), lastSeq: job.lastSeq });

const MAX_SUBSCRIPTIONS = 100;

export interface EventsSocketDeps {
  db: Db;
  fanout: LiveFanout;
  log: Logger;
  /** Closes a socket whose session ended or token was revoked (checked once per credential). */
  rechecks?: CredentialRechecks;
  credential?: EventsCredential;
}

/** Close code for a socket whose credential is no longer valid (4000–4999: the application's own). */
export const CREDENTIAL_GONE = 4401;

export function handleEventsSocket(ws: WebSocket, deps: EventsSocketDeps): void {
  const { fanout } = deps;
  const client = new LiveClient(ws);
  fanout.addClient(client);
  // Replies to requests are small and rare; they go out whatever the client's backlog.
  const reply = (message: LiveServerMessage) => {
    if (ws.readyState === ws.OPEN) ws.send(encodeFrame(message).payload, { binary: false });
  };

  ws.on('message', async (raw) => {
    let parsed;
    try {
      parsed = liveClientMessageSchema.safeParse(JSON.parse(raw.toString()));
    } catch {
      return reply({ type: 'error', code: 'protocol_error', message: 'message is not valid JSON' });
    }
    if (!parsed.success) return reply({ type: 'error', code: 'protocol_error', message: describeZodError(parsed.error) });
    const msg = parsed.data;
    switch (msg.type) {
      case 'subscribe-projects':
        return fanout.watchProjects(client, msg.projectId ?? null);
      case 'unsubscribe-projects':
        return fanout.watchProjects(client, undefined);
      case 'subscribe-drones':
        return fanout.watchDrones(client);
      case 'unsubscribe':
        return fanout.unsubscribe(client, msg.jobId);
      case 'subscribe':
        break;
    }
    if (fanout.subscriptionCount(client) >= MAX_SUBSCRIPTIONS) {
      return reply({ type: 'error', code: 'too_many_subscriptions', message: `at most ${MAX_SUBSCRIPTIONS} at once` });
    }
    try {
      const job = await fanout.subscribeFresh(client, msg.jobId, msg.after, () => findJob(deps.db, msg.jobId));
      if (!job) return reply({ type: 'error', code: 'not_found', message: `Job ${msg.jobId} does not exist`, jobId: msg.jobId });
    } catch (err) {
      deps.log.error({ err }, 'subscribe failed');
      reply({ type: 'error', code: 'internal_error', message: 'subscribe failed' });
    }
  });

  // Logging out, a revoked token or a deleted user must also end what is already open.
  const unwatch = deps.rechecks && deps.credential && deps.rechecks.watch(deps.credential.key, deps.credential.stillAllowed, () => {
    if (ws.readyState === ws.OPEN) ws.close(CREDENTIAL_GONE, 'Your session ended or your token was revoked');
  });

  ws.on('close', () => {
    unwatch?.();
    fanout.removeClient(client);
  });
}
