/**
 * Property test of both wire parsers: valid messages of every type, then mutated — fields
 * dropped, retyped, huge, negative, NaN-like, deeply nested, unknown types, extra fields,
 * truncated or garbled JSON, non-JSON, oversized frames. Whatever arrives, a parser either
 * returns a message its schema accepts or throws a ProtocolError: never another exception.
 * It also agrees with zod's interpreter (the parsers use compiled schemas) on every frame.
 * A seeded PRNG keeps the cases the same on every run.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { z } from 'zod';
import { sampleEvent, validDroneMessages, validQueenMessages, type ProtocolFrame } from '../fixtures/protocol-messages.ts';
import {
  droneMessageSchema, MAX_MESSAGE_BYTES, parseDroneMessage, parseQueenMessage, ProtocolError, queenMessageSchema,
} from '../../common/protocol/index.ts';

/** xorshift32: small, fast, and the same sequence for the same seed. */
function prng(seed: number) {
  let s = seed >>> 0 || 1;
  const next = () => {
    s ^= s << 13; s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5; s >>>= 0;
    return s / 2 ** 32;
  };
  const int = (n: number) => Math.floor(next() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)];
  return { next, int, pick };
}
type Rng = ReturnType<typeof prng>;

const ev = sampleEvent;
const droneMessages = validDroneMessages;
const queenMessages = validQueenMessages;
type Frame = ProtocolFrame;

/** Deep nesting as text: JSON.stringify of such a value would itself overflow the stack. */
const NESTED = `${'['.repeat(5000)}${']'.repeat(5000)}`;
const NESTED_MARK = '"\u0000nested\u0000"';
const ODD_VALUES: unknown[] = [
  null, true, false, 0, -1, -0.5, 1.5, 2 ** 53 + 2, -(2 ** 53) - 2, 1e308, -1e308, '', ' ', 'NaN', 'Infinity', '-Infinity',
  '1e999', '0x10', '12', 'null', 'x'.repeat(300), [], [1, 2], {}, { type: 'job:started' }, ['a'.repeat(10)], { __proto__: null, a: 1 },
];
const ODD_KEYS = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'type', 'extra', ''];
const ODD_TYPES = ['job:explode', '__proto__', 'constructor', 'toString', 'hasOwnProperty', '', 'JOB:STARTED', 'job:started ', 'drone:hello\u0000'];

const clone = <T>(v: T): T => structuredClone(v);

/** Every object or array inside `root` (root included), to pick a mutation point from. */
function containers(root: unknown): (Record<string, unknown> | unknown[])[] {
  const found: (Record<string, unknown> | unknown[])[] = [];
  const walk = (v: unknown) => {
    if (typeof v !== 'object' || v === null) return;
    found.push(v as Record<string, unknown>);
    for (const x of Object.values(v)) walk(x);
  };
  walk(root);
  return found;
}

/** One mutated frame (string or Buffer) from a valid message. */
function mutate(rng: Rng, valid: Frame, allTypes: readonly string[]): string | Buffer {
  const m = clone(valid);
  const rounds = 1 + rng.int(3);
  for (let r = 0; r < rounds; r++) {
    const target = rng.pick(containers(m));
    const keys = Object.keys(target);
    const key = keys.length ? rng.pick(keys) : '0';
    const set = (value: unknown) => { (target as Record<string, unknown>)[key] = value; };
    switch (rng.int(10)) {
      case 0: delete (target as Record<string, unknown>)[key]; break;
      case 1: set(clone(rng.pick(ODD_VALUES))); break;
      case 2: set(rng.pick([1e21, 2 ** 31, 2 ** 32 + 1, Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER + 1, 1e300])); break;
      case 3: set(rng.pick([-1, -(2 ** 31), -1e21, -0.0001, Number.MIN_SAFE_INTEGER - 1])); break;
      case 4: set(NESTED_MARK); break;
      case 5: m.type = rng.next() < 0.5 ? rng.pick(ODD_TYPES) : rng.pick(allTypes); break;
      case 6: Object.defineProperty(target, rng.pick(ODD_KEYS), { value: clone(rng.pick(ODD_VALUES)), enumerable: true, configurable: true, writable: true }); break;
      case 7: set(rng.pick(['x'.repeat(201), 'y'.repeat(10_001), '\u{1F600}'.repeat(100), '\ud800'])); break;
      case 8: // past a list's limit (20 services, 200 labels), or a value where a list is not expected
        if (Array.isArray(target)) target.push(...Array.from({ length: rng.pick([1, 21, 201]) }, () => (typeof target[0] === 'object' ? clone(target[0]) : target[0])));
        else set([clone(target[key]), clone(target[key])]);
        break;
      default: set(clone(rng.pick(containers(m)))); break;
    }
  }
  const text = JSON.stringify(m).replace(NESTED_MARK, NESTED);
  switch (rng.int(8)) {
    case 0: return text.slice(0, rng.int(text.length)); // truncated
    case 1: { // a few bytes flipped
      const chars = [...text];
      for (let i = 0; i < 1 + rng.int(4); i++) chars[rng.int(chars.length)] = String.fromCharCode(rng.int(128));
      return chars.join('');
    }
    case 2: return Buffer.from(text);
    default: return text;
  }
}

function randomGarbage(rng: Rng): string | Buffer {
  switch (rng.int(6)) {
    case 0: return Buffer.from(Array.from({ length: rng.int(64) }, () => rng.int(256)));
    case 1: return rng.pick(['', ' ', 'null', 'true', '0', '-1', '"str"', '[]', '[{}]', '{}', '{"type":null}', '{"type":["job:log"]}', '{"type":{}}', 'NaN', 'undefined', '{"type":"job:log"', '\ufeff{}']);
    case 2: return `{"type":"${rng.pick(ODD_TYPES)}"}`;
    case 3: return NESTED;
    case 4: return `{"type":"job:log","a":${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}}`;
    default: return Array.from({ length: rng.int(40) }, () => String.fromCharCode(rng.int(0x3000))).join('');
  }
}

function check(parse: (raw: string | Buffer) => unknown, schema: z.ZodType, raw: string | Buffer, label: string): 'accepted' | 'refused' {
  let out: unknown;
  try {
    out = parse(raw);
  } catch (err) {
    if (!(err instanceof ProtocolError)) assert.fail(`${label}: threw ${(err as Error)?.name}: ${(err as Error)?.message} for ${String(raw).slice(0, 200)}`);
    return 'refused';
  }
  const again = schema.safeParse(out);
  assert.ok(again.success, `${label}: returned a message its schema refuses: ${JSON.stringify(out).slice(0, 200)}`);
  return 'accepted';
}

/** The interpreter's verdict on a frame, to hold the compiled parser to. */
function interpreterAccepts(schema: z.ZodType, raw: string | Buffer): boolean | undefined {
  const size = typeof raw === 'string' ? Buffer.byteLength(raw) : raw.length;
  if (size > MAX_MESSAGE_BYTES) return false;
  let value: unknown;
  try {
    value = JSON.parse(raw.toString());
  } catch {
    return false;
  }
  return schema.safeParse(value).success;
}

it('parsers return a valid message or throw ProtocolError, whatever the frame', { timeout: 20_000 }, () => {
  const rng = prng(0x5eed_2026);
  const sides = [
    { label: 'drone→queen', parse: parseDroneMessage, schema: droneMessageSchema, valid: droneMessages, other: queenMessages },
    { label: 'queen→drone', parse: parseQueenMessage, schema: queenMessageSchema, valid: queenMessages, other: droneMessages },
  ];
  const tally = { accepted: 0, refused: 0 };
  for (const side of sides) {
    const allTypes = [...side.valid, ...side.other].map((m) => m.type);
    for (const m of side.valid) assert.equal(check(side.parse, side.schema, JSON.stringify(m), side.label), 'accepted', m.type);
    for (let i = 0; i < 1500; i++) {
      const raw = rng.next() < 0.85 ? mutate(rng, rng.pick(side.valid), allTypes) : randomGarbage(rng);
      const verdict = check(side.parse, side.schema, raw, `${side.label} case ${i}`);
      tally[verdict]++;
      assert.equal(verdict === 'accepted', interpreterAccepts(side.schema, raw), `${side.label} case ${i}: compiled and interpreted schemas disagree on ${String(raw).slice(0, 200)}`);
    }
    // Oversized frames, as text and as bytes, refused before JSON.parse sees them.
    for (const raw of [JSON.stringify({ type: 'job:log', ...ev, data: 'x'.repeat(MAX_MESSAGE_BYTES) }), Buffer.alloc(MAX_MESSAGE_BYTES + 1, 0x20), '\u20ac'.repeat(MAX_MESSAGE_BYTES / 3 + 1)]) {
      assert.throws(() => side.parse(raw), (err) => err instanceof ProtocolError && /exceeds/.test(err.message));
    }
  }
  // The mutations must exercise both outcomes, or the test proves little.
  assert.ok(tally.accepted > 100 && tally.refused > 2000, JSON.stringify(tally));
});
