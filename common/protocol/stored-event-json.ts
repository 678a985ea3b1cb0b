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

/** The stored form of an event keeps its noted JSON. */
export function carryStoredJson(from: object, to: object): void {
  const json = storedJson.get(from);
  if (json !== undefined) storedJson.set(to, json);
}
