/**
 * The messages of `/api/events`, the WebSocket browsers and the CLI follow jobs with
 * (server/routes/events-socket.ts), in both directions, defined once.
 *
 * Client → queen messages are a zod schema, since the queen parses them; their types are
 * derived from it. Queen → client messages are types: the queen builds them, so the
 * compiler checks every field. Browser scripts import this file with `import type` only,
 * which keeps zod out of their bundle.
 */
import { z } from 'zod';
import type { JobSummary } from './job-summary.ts';
import type { StoredJobEvent } from './protocol/messages.ts';
import { uuid } from './uuid.ts';

// ---- client → queen ----

export const liveClientMessageSchema = z.discriminatedUnion('type', [
  /** Follow one job: a snapshot, its stored events after `after` (the last seq seen), then live ones. */
  z.object({ type: z.literal('subscribe'), jobId: uuid, after: z.number().int().min(0).default(0) }),
  z.object({ type: z.literal('unsubscribe'), jobId: uuid }),
  /** Status changes of every job, or of one project's jobs. No history. */
  z.object({ type: z.literal('subscribe-projects'), projectId: uuid.optional() }),
  z.object({ type: z.literal('unsubscribe-projects') }),
  /** A ping whenever a drone connects or disconnects. No history. */
  z.object({ type: z.literal('subscribe-drones') }),
]);
/** What a client sends (`after` may be left out). */
export type LiveClientMessage = z.input<typeof liveClientMessageSchema>;
/** What the queen has after parsing (`after` filled in). */
export type ParsedLiveClientMessage = z.output<typeof liveClientMessageSchema>;

// ---- queen → client ----

/** A job as subscribers see it: the API summary plus how far its log goes. */
export interface LiveJob extends JobSummary {
  lastSeq: number;
}

export const LIVE_ERROR_CODES = ['protocol_error', 'not_found', 'too_many_subscriptions', 'internal_error'] as const;
export type LiveErrorCode = (typeof LIVE_ERROR_CODES)[number];

/** A snapshot of a subscribed job, at subscribe and on every status change. */
export interface LiveJobMessage { type: 'job'; job: LiveJob }
/** Consecutive stored events of a subscribed job, in seq order, none twice. */
export interface LiveEventsMessage { type: 'events'; jobId: string; events: StoredJobEvent[] }
/** A status change of any job (of the subscribed project). */
export interface LiveProjectJobMessage { type: 'project-job'; job: LiveJob }
export interface LiveDronesChangedMessage { type: 'drones-changed' }
/** A refused or failed request; `jobId` when it concerns one job. The socket stays open. */
export interface LiveErrorMessage { type: 'error'; code: LiveErrorCode; message: string; jobId?: string }

export type LiveServerMessage =
  | LiveJobMessage
  | LiveEventsMessage
  | LiveProjectJobMessage
  | LiveDronesChangedMessage
  | LiveErrorMessage;
