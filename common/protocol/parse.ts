/**
 * Parsers for both directions of the protocol. Anything that is not valid JSON, not an
 * object with a known `type`, or has a malformed field throws a `ProtocolError` naming
 * the field; callers answer with an `error` message and carry on.
 */
import { JOB_TYPES, PHASES } from './job-spec.ts';
import { FINAL_STATUSES, MAX_MESSAGE_BYTES } from './messages.ts';
import type { DroneMessage, QueenMessage } from './messages.ts';
import { ProtocolError } from './protocol-error.ts';
import {
  any, arrayOf, bool, int, nonEmptyStr, nullable, num, object, oneOf, optional, recordOf, str,
  type Check,
} from './shape.ts';

const id = nonEmptyStr(200);
const label = nonEmptyStr(200);
const phase = oneOf(PHASES);
const jobEventBase = { jobId: id, lease: id, seq: int(1), at: num(0) };
const phaseStatuses = ['passed', 'failed', 'skipped', 'errored', 'cancelled', 'timed_out'] as const;

const jobEventShapes: Record<string, Check> = {
  'job:started': object(jobEventBase),
  'job:cmd:start': object({ ...jobEventBase, cmd: int(0), phase, command: str() }),
  'job:cmd:stdout': object({ ...jobEventBase, cmd: int(0), data: str() }),
  'job:cmd:stderr': object({ ...jobEventBase, cmd: int(0), data: str() }),
  'job:cmd:done': object({
    ...jobEventBase, cmd: int(0), exitCode: nullable(int()), durationMs: num(0), error: optional(str(10_000)),
  }),
  'job:phase:done': object({ ...jobEventBase, phase, status: oneOf(phaseStatuses), durationMs: num(0) }),
  'job:done': object({ ...jobEventBase, status: oneOf(FINAL_STATUSES), message: optional(str(10_000)) }),
  'job:log': object({ ...jobEventBase, data: str() }),
};
const jobEvent: Check = (v, p) => {
  const type = (v as { type?: unknown } | null)?.type;
  const shape = typeof type === 'string' ? jobEventShapes[type] : undefined;
  return shape ? shape(v, p) : `${p}.type: unknown job event type`;
};

const droneShapes: Record<string, Check> = {
  ...jobEventShapes,
  'drone:hello': object({
    version: int(0),
    name: nonEmptyStr(200),
    capacity: int(0, 10_000),
    speed: num(0),
    labels: arrayOf(label, 200),
    plugins: arrayOf(label, 500),
    running: arrayOf(object({ jobId: id, lease: id, lastSeq: int(0) }), 10_000),
  }),
  'drone:info': object({ capacity: optional(int(0, 10_000)), speed: optional(num(0)), labels: optional(arrayOf(label, 200)) }),
  'job:accepted': object({ jobId: id, lease: id }),
  'job:rejected': object({ jobId: id, lease: id, reason: str(10_000) }),
  'job:heartbeat': object({ jobs: arrayOf(object({ jobId: id, lease: id }), 10_000) }),
  'job:info': object({ jobId: id, lease: id, events: arrayOf(jobEvent) }),
};

const command = object({ run: str(), display: optional(str()) });
const jobSpec = object({
  jobId: id,
  projectId: id,
  projectName: str(),
  number: int(0),
  type: oneOf(JOB_TYPES),
  checkout: object({
    repoUrl: nonEmptyStr(),
    sha: nonEmptyStr(200),
    branch: optional(str()),
    refspec: optional(str()),
    credentials: optional(object({ username: optional(str()), password: optional(str()), sshKey: optional(str()) })),
  }),
  image: optional(str()),
  container: optional(object({
    pull: oneOf(['always', 'if-not-present', 'never']),
    privileged: bool,
    memoryMb: optional(int(4)),
    cpus: optional(num(0.01)),
  })),
  services: optional(arrayOf(object({
    name: nonEmptyStr(100), image: nonEmptyStr(500), env: optional(recordOf(str())), command: optional(arrayOf(str())),
  }), 20)),
  secretRefs: optional(recordOf(str())),
  env: recordOf(str()),
  secrets: recordOf(str()),
  phases: object(Object.fromEntries(PHASES.map((ph) => [ph, arrayOf(command)]))),
  timeoutMs: int(1),
  requires: object({ labels: arrayOf(label), plugins: arrayOf(label) }),
});

const queenShapes: Record<string, Check> = {
  'queen:welcome': object({
    version: int(0),
    droneId: id,
    heartbeatMs: int(10, 3_600_000),
    resume: arrayOf(object({ jobId: id, lease: id, ackedSeq: int(0), keep: bool })),
  }),
  'job:assign': object({ lease: id, spec: jobSpec }),
  'job:ack': object({ jobId: id, lease: id, seq: int(0) }),
  'job:cancel': object({ jobId: id, lease: id, reason: optional(str(10_000)) }),
  'job:query-info': object({ jobId: id }),
  'drone:drain': any,
  error: object({ code: str(200), message: str(10_000) }),
};

function parseWith<T>(shapes: Record<string, Check>, raw: string | Buffer): T {
  const size = typeof raw === 'string' ? Buffer.byteLength(raw) : raw.length;
  if (size > MAX_MESSAGE_BYTES) throw new ProtocolError(`message of ${size} bytes exceeds ${MAX_MESSAGE_BYTES}`);
  let value: unknown;
  try {
    value = JSON.parse(typeof raw === 'string' ? raw : raw.toString('utf8'));
  } catch (cause) {
    throw new ProtocolError('message is not valid JSON', { cause });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ProtocolError('message must be a JSON object');
  }
  const type = (value as { type?: unknown }).type;
  if (typeof type !== 'string') throw new ProtocolError('message has no string "type"');
  const shape = Object.hasOwn(shapes, type) ? shapes[type] : undefined;
  if (!shape) throw new ProtocolError(`unknown message type "${type.slice(0, 100)}"`);
  const problem = shape(value, '');
  if (problem) throw new ProtocolError(`malformed ${type}: ${problem.replace(/^\./, '')}`);
  return value as T;
}

export const parseDroneMessage = (raw: string | Buffer): DroneMessage => parseWith(droneShapes, raw);
export const parseQueenMessage = (raw: string | Buffer): QueenMessage => parseWith(queenShapes, raw);
