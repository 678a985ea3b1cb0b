/**
 * A job event's JSON as the queen stores it — the event without `jobId` and `lease` —
 * cut from the text of the drone's frame instead of serializing the event once more:
 * on a large log that second `JSON.stringify` of every output string was a tenth of the
 * queen's work (~0.4 s per 50 MB). The drone writes `jobId` and `lease` first
 * (drone/event-outbox.ts), so the frame after them is the stored event's members as they
 * came.
 *
 * Only for a frame whose members are exactly what was validated: the parser hands over
 * the JSON value beside what zod made of it, and a frame with members zod dropped, or
 * not starting with those two, keeps the ordinary serialization. What is kept parses to
 * the validated event (JSON.parse is the same function for the queen and every reader).
 */
const storedJson = new WeakMap<object, string>();

/** Called by the parser for a valid job event: `value` is the frame's JSON value, `event` the validated one. */
export function noteStoredJson(text: string, value: object, event: { jobId: string; lease: string }): void {
  const prefix = `{"jobId":${JSON.stringify(event.jobId)},"lease":${JSON.stringify(event.lease)},`;
  if (!text.startsWith(prefix) || Object.keys(value).length !== Object.keys(event).length) return;
  storedJson.set(event, `{${text.slice(prefix.length)}`);
}

/** The stored JSON noted for an event (or carried over to its stored form), if any. */
export function storedJsonOf(event: object): string | undefined {
  return storedJson.get(event);
}

/**
 * An event from a data frame (./data-frame.ts) keeps its data's bytes as they came, for
 * the queen's storage to copy: encoding the decoded string again, and measuring it first,
 * cost the queen a tenth of its work on a large log. The bytes decode to the event's
 * `data` (they are what it was decoded from), so a reader of either gets the same text.
 */
const dataBytes = new WeakMap<object, Buffer>();

/** Called by the parser for a valid event from a data frame. */
export function noteDataBytes(event: object, bytes: Buffer): void {
  dataBytes.set(event, bytes);
}

/** The bytes of an event's `data` as its frame carried them, if it came in one. */
export function dataBytesOf(event: object): Buffer | undefined {
  return dataBytes.get(event);
}

/** The stored form of an event keeps its noted JSON, or its data's bytes. */
export function carryStoredJson(from: object, to: object): void {
  const json = storedJson.get(from);
  if (json !== undefined) storedJson.set(to, json);
  const bytes = dataBytes.get(from);
  if (bytes !== undefined) dataBytes.set(to, bytes);
}
