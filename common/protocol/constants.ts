/**
 * The protocol's fixed vocabularies and limits, each written once. Both the wire schemas
 * (./messages.ts, ./job-spec.ts) and the rest of the code use these arrays and the types
 * derived from them. This file imports nothing, so browser code may import it without
 * pulling zod into its bundle.
 */

/**
 * Bumped on every incompatible change; checked at `drone:hello`.
 * 2: `JobSpec.files` (uploaded files the drone must fetch; a drone of version 1 would drop
 * the field and build without them).
 * 3: `checkout.credentials.knownHosts` (a drone of version 2 would drop it and accept any
 * host key it had not seen before).
 * 4: output events (`job:cmd:stdout`, `job:cmd:stderr`, `job:log`) as binary data frames
 * (./data-frame.ts), which a queen of version 3 would refuse.
 */
export const PROTOCOL_VERSION = 4;

/** Upper bound of one frame; larger frames are refused by both sides. */
export const MAX_MESSAGE_BYTES = 1024 * 1024;
/** Output is split into events of at most this many characters. */
export const MAX_OUTPUT_CHUNK_CHARS = 64 * 1024;
/** Limits of `drone:hello`, which a drone's configuration checks before it connects. */
export const MAX_DRONE_CAPACITY = 10_000;
export const MAX_DRONE_NAME_CHARS = 200;

export const PHASES = ['environment', 'prepare', 'test', 'deploy', 'cleanup'] as const;
export type PhaseName = (typeof PHASES)[number];

export const JOB_TYPES = ['TEST', 'TEST_AND_DEPLOY', 'DEPLOY'] as const;
export type JobType = (typeof JOB_TYPES)[number];

/** How a job ends; a drone reports one of these in `job:done`. */
export const FINAL_STATUSES = ['passed', 'failed', 'errored', 'cancelled', 'timed_out'] as const;
export type FinalJobStatus = (typeof FINAL_STATUSES)[number];

export const JOB_STATUSES = ['queued', 'assigned', 'running', ...FINAL_STATUSES] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];

/** A phase ends like a job, or is `skipped` (after a failure, or not wanted for the job type). */
export const PHASE_STATUSES = [...FINAL_STATUSES, 'skipped'] as const;
export type PhaseStatus = (typeof PHASE_STATUSES)[number];

/** When the Docker executor pulls a job's image. */
export const PULL_POLICIES = ['always', 'if-not-present', 'never'] as const;
export type PullPolicy = (typeof PULL_POLICIES)[number];

/** How a drone prepares a build's directory (see drone/workspaces/). */
export const WORKSPACE_MODES = ['fresh', 'incremental'] as const;
export type WorkspaceMode = (typeof WORKSPACE_MODES)[number];
