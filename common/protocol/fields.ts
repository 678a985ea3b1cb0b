/**
 * The field types protocol messages are built from, with the wire's limits as defaults.
 * Integers carry their own error texts: zod reports a too-big integer like any number,
 * and a drone's author should read "expected integer ≤ 10000", not "number".
 */
import { z } from 'zod';
import { describeValue } from './issue-text.ts';

/** Default bound of free text (a command, one output chunk): the frame limit covers the rest. */
const MAX_TEXT = 1 << 20;
/** Default bound of a list nobody sizes explicitly. */
const MAX_ITEMS = 100_000;

export const str = (max = MAX_TEXT) => z.string().max(max);
export const nonEmptyStr = (max = MAX_TEXT) => z.string().min(1).max(max);
/** Job ids, leases, drone ids. */
export const id = nonEmptyStr(200);
/** Drone labels and plugin names. */
export const label = nonEmptyStr(200);

export function int(min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER) {
  let schema = z.int({
    error: (issue) => (issue.code !== 'invalid_type' ? 'expected a safe integer'
      : `expected integer, got ${typeof issue.input === 'number' ? issue.input : describeValue(issue.input)}`),
  });
  // Only bounds that narrow the safe range: each check is work on every message.
  if (min > Number.MIN_SAFE_INTEGER) schema = schema.min(min, `expected integer ≥ ${min}`);
  if (max < Number.MAX_SAFE_INTEGER) schema = schema.max(max, `expected integer ≤ ${max}`);
  return schema;
}

/** A finite number (zod refuses Infinity, which `1e999` in JSON becomes). */
export const num = (min = -Infinity) => (min === -Infinity ? z.number() : z.number().min(min));

export const list = <T extends z.ZodType>(item: T, maxItems = MAX_ITEMS) => z.array(item).max(maxItems);
export const stringMap = () => z.record(z.string(), str());
