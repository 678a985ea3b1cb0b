/**
 * The queen⇄drone wire protocol: one JSON message per WebSocket frame.
 *
 * Job events (`job:started` … `job:done`) are numbered per job by the drone (`seq`, from 1,
 * no gaps) and carry the assignment's `lease`. The queen persists them idempotently by
 * (jobId, seq), acknowledges with `job:ack`, and ignores events whose lease is not the
 * job's current one (fencing: a drone that lost a job cannot write into its re-run).
 */
import type { JobSpec, PhaseName } from './job-spec.ts';

/** Bumped on every incompatible change; checked at `drone:hello`. */
export const PROTOCOL_VERSION = 1;

/** Upper bound of one frame; larger frames are refused by both sides. */
export const MAX_MESSAGE_BYTES = 1024 * 1024;
/** Output is split into events of at most this many characters. */
export const MAX_OUTPUT_CHUNK_CHARS = 64 * 1024;

export type JobStatus =
  | 'queued'
  | 'assigned'
  | 'running'
  | 'passed'
  | 'failed'
  | 'errored'
  | 'cancelled'
  | 'timed_out';
export type FinalJobStatus = Extract<JobStatus, 'passed' | 'failed' | 'errored' | 'cancelled' | 'timed_out'>;
export const FINAL_STATUSES: readonly FinalJobStatus[] = ['passed', 'failed', 'errored', 'cancelled', 'timed_out'];
export type PhaseStatus = 'passed' | 'failed' | 'skipped' | 'errored' | 'cancelled' | 'timed_out';

// ---- job events (drone → queen, numbered) ----

interface JobEventBase {
  jobId: string;
  lease: string;
  seq: number;
  /** Milliseconds since the epoch, drone clock. */
  at: number;
}
export interface JobStartedEvent extends JobEventBase { type: 'job:started' }
export interface CmdStartEvent extends JobEventBase {
  type: 'job:cmd:start';
  /** Index of the command within the job, from 0. */
  cmd: number;
  phase: PhaseName;
  /** The displayed, secret-free command text. */
  command: string;
}
export interface CmdOutputEvent extends JobEventBase {
  type: 'job:cmd:stdout' | 'job:cmd:stderr';
  cmd: number;
  data: string;
}
export interface CmdDoneEvent extends JobEventBase {
  type: 'job:cmd:done';
  cmd: number;
  exitCode: number | null;
  durationMs: number;
  /** Set when the command did not end by itself: killed on cancel/timeout, or could not start. */
  error?: string;
}
export interface PhaseDoneEvent extends JobEventBase {
  type: 'job:phase:done';
  phase: PhaseName;
  status: PhaseStatus;
  durationMs: number;
}
export interface JobDoneEvent extends JobEventBase {
  type: 'job:done';
  status: FinalJobStatus;
  /** Human-readable reason for errored/timed_out/cancelled. */
  message?: string;
}
/** System output that belongs to no command (checkout progress, system errors). */
export interface JobLogEvent extends JobEventBase {
  type: 'job:log';
  data: string;
}

export type JobEvent =
  | JobStartedEvent
  | CmdStartEvent
  | CmdOutputEvent
  | CmdDoneEvent
  | PhaseDoneEvent
  | JobDoneEvent
  | JobLogEvent;
export type JobEventType = JobEvent['type'];

// ---- other drone → queen messages ----

export interface RunningJobRef {
  jobId: string;
  lease: string;
  /** Highest seq the drone has produced for this job. */
  lastSeq: number;
}

export interface DroneHello {
  type: 'drone:hello';
  version: number;
  name: string;
  capacity: number;
  /** Relative speed (higher is faster); the scheduler prefers fast drones. */
  speed: number;
  labels: string[];
  plugins: string[];
  /** Jobs still running on the drone (after a reconnect). */
  running: RunningJobRef[];
}
export interface DroneInfo {
  type: 'drone:info';
  capacity?: number;
  speed?: number;
  labels?: string[];
}
export interface JobAccepted { type: 'job:accepted'; jobId: string; lease: string }
/** Refused assignment (e.g. over capacity); the queen re-queues the job. */
export interface JobRejected { type: 'job:rejected'; jobId: string; lease: string; reason: string }
export interface JobHeartbeat { type: 'job:heartbeat'; jobs: { jobId: string; lease: string }[] }
/** Reply to `job:query-info`: every event the drone still holds for the job. */
export interface JobInfo { type: 'job:info'; jobId: string; lease: string; events: JobEvent[] }

export type DroneMessage =
  | DroneHello
  | DroneInfo
  | JobAccepted
  | JobRejected
  | JobHeartbeat
  | JobInfo
  | JobEvent;

// ---- queen → drone ----

export interface QueenWelcome {
  type: 'queen:welcome';
  version: number;
  droneId: string;
  heartbeatMs: number;
  /** For each job in `running` of the hello: resume (replay after `ackedSeq`) or abandon. */
  resume: { jobId: string; lease: string; ackedSeq: number; keep: boolean }[];
}
export interface JobAssign { type: 'job:assign'; lease: string; spec: JobSpec }
export interface JobAck { type: 'job:ack'; jobId: string; lease: string; seq: number }
export interface JobCancel { type: 'job:cancel'; jobId: string; lease: string; reason?: string }
export interface JobQueryInfo { type: 'job:query-info'; jobId: string }
export interface DroneDrain { type: 'drone:drain' }
export interface ProtocolErrorMessage { type: 'error'; code: string; message: string }

export type QueenMessage =
  | QueenWelcome
  | JobAssign
  | JobAck
  | JobCancel
  | JobQueryInfo
  | DroneDrain
  | ProtocolErrorMessage;

export const JOB_EVENT_TYPES: readonly JobEventType[] = [
  'job:started',
  'job:cmd:start',
  'job:cmd:stdout',
  'job:cmd:stderr',
  'job:cmd:done',
  'job:phase:done',
  'job:done',
  'job:log',
];

export function isJobEvent(m: DroneMessage): m is JobEvent {
  return (JOB_EVENT_TYPES as readonly string[]).includes(m.type);
}
