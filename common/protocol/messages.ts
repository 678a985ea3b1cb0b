/**
 * The queen⇄drone wire protocol: one JSON message per WebSocket frame — except events with
 * output, which a drone sends as binary data frames (./data-frame.ts).
 *
 * Job events (`job:started` … `job:done`) are numbered per job by the drone (`seq`, from 1,
 * no gaps) and carry the assignment's `lease`. The queen persists them idempotently by
 * (jobId, seq), acknowledges with `job:ack`, and ignores events whose lease is not the
 * job's current one (fencing: a drone that lost a job cannot write into its re-run).
 *
 * Every message is a zod schema here; the TypeScript types are derived from the schemas,
 * so what the parsers (./parse.ts) accept and what the code may send are one definition.
 * Fields a message does not define are dropped by the parsers.
 */
import { z } from 'zod';
import { FINAL_STATUSES, MAX_DRONE_CAPACITY, MAX_DRONE_NAME_CHARS, PHASE_STATUSES, PHASES } from './constants.ts';
import { id, int, label, list, nonEmptyStr, num, str } from './fields.ts';
import { jobSpecSchema } from './job-spec.ts';

// ---- job events (drone → queen, numbered) ----

const jobEventBase = {
  jobId: id,
  lease: id,
  seq: int(1),
  /** Milliseconds since the epoch, drone clock. */
  at: num(0),
};
const phase = z.enum(PHASES);

const jobStarted = z.object({ type: z.literal('job:started'), ...jobEventBase });
const cmdStart = z.object({
  type: z.literal('job:cmd:start'),
  ...jobEventBase,
  /** Index of the command within the job, from 0. */
  cmd: int(0),
  phase,
  /** The displayed, secret-free command text. */
  command: str(),
});
const cmdOutput = z.object({ type: z.literal(['job:cmd:stdout', 'job:cmd:stderr']), ...jobEventBase, cmd: int(0), data: str() });
const cmdDone = z.object({
  type: z.literal('job:cmd:done'),
  ...jobEventBase,
  cmd: int(0),
  exitCode: int().nullable(),
  durationMs: num(0),
  /** Set when the command did not end by itself: killed on cancel/timeout, or could not start. */
  error: str(10_000).optional(),
});
const phaseDone = z.object({ type: z.literal('job:phase:done'), ...jobEventBase, phase, status: z.enum(PHASE_STATUSES), durationMs: num(0) });
const jobDone = z.object({
  type: z.literal('job:done'),
  ...jobEventBase,
  status: z.enum(FINAL_STATUSES),
  /** Human-readable reason for errored/timed_out/cancelled. */
  message: str(10_000).optional(),
});
/** System output that belongs to no command (checkout progress, system errors). */
const jobLog = z.object({ type: z.literal('job:log'), ...jobEventBase, data: str() });

const jobEventSchemas = [jobStarted, cmdStart, cmdOutput, cmdDone, phaseDone, jobDone, jobLog] as const;
export const jobEventSchema = z.discriminatedUnion('type', [...jobEventSchemas]);

export type JobStartedEvent = z.output<typeof jobStarted>;
export type CmdStartEvent = z.output<typeof cmdStart>;
export type CmdOutputEvent = z.output<typeof cmdOutput>;
export type CmdDoneEvent = z.output<typeof cmdDone>;
export type PhaseDoneEvent = z.output<typeof phaseDone>;
export type JobDoneEvent = z.output<typeof jobDone>;
export type JobLogEvent = z.output<typeof jobLog>;
export type JobEvent = z.output<typeof jobEventSchema>;
export type JobEventType = JobEvent['type'];

/** A job event as stored and shown: the job and lease are implied by where it is. */
export type StoredJobEvent = JobEvent extends infer E ? (E extends JobEvent ? Omit<E, 'jobId' | 'lease'> : never) : never;

// ---- other drone → queen messages ----

const runningJobRef = z.object({
  jobId: id,
  lease: id,
  /** Highest seq the drone has produced for this job. */
  lastSeq: int(0),
});
export type RunningJobRef = z.output<typeof runningJobRef>;

const droneHello = z.object({
  type: z.literal('drone:hello'),
  version: int(0),
  name: nonEmptyStr(MAX_DRONE_NAME_CHARS),
  capacity: int(0, MAX_DRONE_CAPACITY),
  /** Relative speed (higher is faster); the scheduler prefers fast drones. */
  speed: num(0),
  labels: list(label, 200),
  plugins: list(label, 500),
  /** Jobs still running on the drone (after a reconnect). */
  running: list(runningJobRef, 10_000),
});
const droneInfo = z.object({
  type: z.literal('drone:info'),
  capacity: int(0, MAX_DRONE_CAPACITY).optional(),
  speed: num(0).optional(),
  labels: list(label, 200).optional(),
});
/**
 * An assignment the drone already runs under that lease, assigned again (a new one is
 * answered by its `job:started`, seq 1, or `job:rejected`).
 */
const jobAccepted = z.object({ type: z.literal('job:accepted'), jobId: id, lease: id });
/** Refused assignment (e.g. over capacity); the queen re-queues the job. */
const jobRejected = z.object({ type: z.literal('job:rejected'), jobId: id, lease: id, reason: str(10_000) });
const jobHeartbeat = z.object({ type: z.literal('job:heartbeat'), jobs: list(z.object({ jobId: id, lease: id }), 10_000) });
/** Reply to `job:query-info`: every event the drone still holds for the job. */
const jobInfo = z.object({ type: z.literal('job:info'), jobId: id, lease: id, events: list(jobEventSchema) });

export const droneMessageSchemas = [droneHello, droneInfo, jobAccepted, jobRejected, jobHeartbeat, jobInfo, ...jobEventSchemas] as const;
export const droneMessageSchema = z.discriminatedUnion('type', [...droneMessageSchemas]);

export type DroneHello = z.output<typeof droneHello>;
export type DroneInfo = z.output<typeof droneInfo>;
export type JobAccepted = z.output<typeof jobAccepted>;
export type JobRejected = z.output<typeof jobRejected>;
export type JobHeartbeat = z.output<typeof jobHeartbeat>;
export type JobInfo = z.output<typeof jobInfo>;
export type DroneMessage = z.output<typeof droneMessageSchema>;

// ---- queen → drone ----

const queenWelcome = z.object({
  type: z.literal('queen:welcome'),
  version: int(0),
  droneId: id,
  heartbeatMs: int(10, 3_600_000),
  /** For each job in `running` of the hello: resume (replay after `ackedSeq`) or abandon. */
  resume: list(z.object({ jobId: id, lease: id, ackedSeq: int(0), keep: z.boolean() })),
});
const jobAssign = z.object({ type: z.literal('job:assign'), lease: id, spec: jobSpecSchema });
const jobAck = z.object({ type: z.literal('job:ack'), jobId: id, lease: id, seq: int(0) });
const jobCancel = z.object({ type: z.literal('job:cancel'), jobId: id, lease: id, reason: str(10_000).optional() });
const jobQueryInfo = z.object({ type: z.literal('job:query-info'), jobId: id });
const droneDrain = z.object({ type: z.literal('drone:drain') });
const protocolErrorMessage = z.object({ type: z.literal('error'), code: str(200), message: str(10_000) });

export const queenMessageSchemas = [queenWelcome, jobAssign, jobAck, jobCancel, jobQueryInfo, droneDrain, protocolErrorMessage] as const;
export const queenMessageSchema = z.discriminatedUnion('type', [...queenMessageSchemas]);

export type QueenWelcome = z.output<typeof queenWelcome>;
export type JobAssign = z.output<typeof jobAssign>;
export type JobAck = z.output<typeof jobAck>;
export type JobCancel = z.output<typeof jobCancel>;
export type JobQueryInfo = z.output<typeof jobQueryInfo>;
export type DroneDrain = z.output<typeof droneDrain>;
export type ProtocolErrorMessage = z.output<typeof protocolErrorMessage>;
export type QueenMessage = z.output<typeof queenMessageSchema>;

/** Every message type of a list of message schemas, read from their `type` literals. */
export const typesOf = (schemas: readonly { shape: { type: z.ZodLiteral } }[]): string[] =>
  schemas.flatMap((s) => [...s.shape.type.values] as string[]);

export const JOB_EVENT_TYPES = typesOf(jobEventSchemas) as readonly JobEventType[];
/** Job events with `data` (output): the ones a drone may send as binary data frames (./data-frame.ts). */
export const DATA_EVENT_TYPES = typesOf(jobEventSchemas.filter((s) => 'data' in s.shape)) as readonly JobEventType[];
const jobEventTypes = new Set<string>(JOB_EVENT_TYPES);

export function isJobEvent(m: DroneMessage): m is JobEvent {
  return jobEventTypes.has(m.type);
}
