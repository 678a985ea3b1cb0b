/**
 * Short, field-naming texts for zod's issues, so a drone's or queen's author reads
 * `capacity: expected integer ≤ 10000` or `labels: expected array, got string` rather
 * than zod's generic wording. Used as the per-parse error map of the protocol parsers;
 * schemas that know better (integers) set their own texts, which take precedence.
 */
import type { z } from 'zod';

/** What a value is, as a protocol error shows it. */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
  return typeof value;
}

/** The error map: one line per issue, without the path (the parser prefixes it). */
export const issueText: z.core.$ZodErrorMap = (issue) => {
  switch (issue.code) {
    case 'invalid_type':
      return `expected ${issue.expected}, got ${describeValue(issue.input)}`;
    case 'too_big':
      if (issue.origin === 'string') return `longer than ${issue.maximum} characters`;
      if (issue.origin === 'array') return `more than ${issue.maximum} items`;
      return `expected ${issue.origin} ≤ ${issue.maximum}`;
    case 'too_small':
      if (issue.origin === 'string') return issue.minimum === 1 ? 'must not be empty' : `shorter than ${issue.minimum} characters`;
      if (issue.origin === 'array') return `fewer than ${issue.minimum} items`;
      return `expected ${issue.origin} ≥ ${issue.minimum}`;
    case 'invalid_value':
      return issue.values.length === 1 ? `expected ${JSON.stringify(issue.values[0])}` : `expected one of ${issue.values.join('|')}`;
    case 'invalid_union': {
      // A discriminated union (job events inside job:info) whose `type` matches no member.
      const key = (issue as { discriminator?: string }).discriminator;
      if (key === undefined) return undefined;
      const value = (issue.input as Record<string, unknown> | undefined)?.[key];
      return typeof value === 'string' ? `unknown type "${value.slice(0, 100)}"` : `expected string, got ${describeValue(value)}`;
    }
    default:
      return undefined; // zod's own text
  }
};

/** `a.b[0].c` from zod's path segments. */
export function pathText(path: readonly PropertyKey[]): string {
  let text = '';
  for (const segment of path) {
    text += typeof segment === 'number' ? `[${segment}]` : text ? `.${String(segment)}` : String(segment);
  }
  return text;
}
