/**
 * Parsers for both directions of the protocol. Anything that is not valid JSON, not an
 * object with a known `type`, or has a malformed field throws a `ProtocolError` naming
 * the field (`malformed drone:hello: capacity: expected integer ≤ 10000`); callers answer
 * with an `error` message and carry on.
 *
 * The message's schema is picked by its `type` from a map rather than by zod's union, so
 * an unknown type gets its own error and a known one is checked by one object schema.
 */
import { z } from 'zod';
import { MAX_MESSAGE_BYTES } from './constants.ts';
import { issueText, pathText } from './issue-text.ts';
import { DATA_EVENT_TYPES, droneMessageSchemas, isJobEvent, queenMessageSchemas, typesOf, type DroneMessage, type QueenMessage } from './messages.ts';
import { dataFrameData, dataFrameEvent } from './data-frame.ts';
import { noteDataBytes } from './event-data-bytes.ts';
import { ProtocolError } from './protocol-error.ts';
import { noteStoredJson } from './stored-event-json.ts';

type SchemaMap = ReadonlyMap<string, z.ZodType>;

/**
 * Each schema compiled ahead of time (z.compile generates one validating function per
 * schema). Output events are parsed thousands of times a second: zod's interpreter, run
 * with our error map, took two to three times as long as the hand-written checks this
 * replaced; compiled, valid messages parse about twice as fast as those did
 * (bench/protocol-parse.ts). An invalid message falls back to the interpreter, which
 * names the field; test/unit/protocol-fuzz.test.ts holds the two to the same verdicts.
 */
const byType = (schemas: readonly (z.ZodType & { shape: { type: z.ZodLiteral } })[]): SchemaMap =>
  new Map(schemas.flatMap((schema) => {
    const compiled = z.compile(schema);
    return typesOf([schema]).map((type) => [type, compiled] as const);
  }));

const droneSchemas = byType(droneMessageSchemas);
const queenSchemas = byType(queenMessageSchemas);
const parseParams = { error: issueText };

/** The frame's size in UTF-8 bytes; strings short enough to fit anyway are not counted. */
function sizeOf(raw: string | Buffer): number {
  if (typeof raw !== 'string') return raw.length;
  // A UTF-16 unit is at most 3 UTF-8 bytes: most frames (output lines) skip the count.
  return raw.length * 3 <= MAX_MESSAGE_BYTES ? raw.length : Buffer.byteLength(raw);
}

/** Told about every valid message with the frame's text and JSON value (stored-event-json.ts). */
type OnValid = (text: string, value: object, message: unknown) => void;

function refuseOversized(raw: string | Buffer): void {
  const size = sizeOf(raw);
  if (size > MAX_MESSAGE_BYTES) throw new ProtocolError(`message of ${size} bytes exceeds ${MAX_MESSAGE_BYTES}`);
}

function parseWith(schemas: SchemaMap, raw: string | Buffer, onValid?: OnValid): unknown {
  refuseOversized(raw);
  let value: unknown;
  const text = typeof raw === 'string' ? raw : raw.toString('utf8');
  try {
    value = JSON.parse(text);
  } catch (cause) {
    throw new ProtocolError('message is not valid JSON', { cause });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ProtocolError('message must be a JSON object');
  }
  const message = validate(schemas, value);
  onValid?.(text, value, message);
  return message;
}

/** The message `value` is, by the schema of its `type`; a ProtocolError names what is wrong. */
function validate(schemas: SchemaMap, value: object): unknown {
  const type = (value as { type?: unknown }).type;
  if (typeof type !== 'string') throw new ProtocolError('message has no string "type"');
  const schema = schemas.get(type);
  if (!schema) throw new ProtocolError(`unknown message type "${type.slice(0, 100)}"`);
  const result = schema.safeParse(value, parseParams);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const where = pathText(issue.path);
  throw new ProtocolError(`malformed ${type}: ${where ? `${where}: ` : ''}${issue.message}`, { cause: result.error });
}

const dataEventTypes: ReadonlySet<string> = new Set(DATA_EVENT_TYPES);

function parseDataFrame(frame: Buffer): DroneMessage {
  refuseOversized(frame);
  const value = dataFrameEvent(frame);
  const type = value.type;
  if (typeof type === 'string' && droneSchemas.has(type) && !dataEventTypes.has(type)) {
    throw new ProtocolError(`${type} has no data and cannot come as a binary frame`);
  }
  const message = validate(droneSchemas, value) as DroneMessage;
  // The data's bytes go along to the store, if the event's data is the string made of them.
  if ('data' in message && message.data === value.data) noteDataBytes(message, dataFrameData(frame));
  return message;
}

/** A job event's frame text becomes its stored JSON (stored-event-json.ts). */
const noteJobEvent: OnValid = (text, value, message) => {
  if (isJobEvent(message as DroneMessage)) noteStoredJson(text, value, message as { jobId: string; lease: string });
};

/** A drone's frame: JSON text, or (`binary`) an event with its data after its JSON. */
export const parseDroneMessage = (raw: string | Buffer, binary = false): DroneMessage =>
  binary && typeof raw !== 'string' ? parseDataFrame(raw) : parseWith(droneSchemas, raw, noteJobEvent) as DroneMessage;
export const parseQueenMessage = (raw: string | Buffer): QueenMessage => parseWith(queenSchemas, raw) as QueenMessage;
