/**
 * Characters no text column can hold: NUL (PostgreSQL refuses it in text and jsonb) and
 * lone UTF-16 surrogates (not Unicode; refused by jsonb and by UTF-8 encoders). Input
 * carrying them is refused with the field named — a 400, never a 500 with SQL in it —
 * or, where the input cannot be refused (a forge's webhook), they are replaced.
 */

// NUL, a high surrogate not followed by a low one, or a low one not preceded by a high one.
const BAD = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const BAD_ALL = new RegExp(BAD.source, 'g');

/** What is wrong with `text`, in words; undefined when nothing is. */
export function badCharacter(text: string): string | undefined {
  const m = BAD.exec(text);
  if (!m) return undefined;
  return m[0] === '\u0000' ? 'contains a NUL character (\\u0000)' : 'contains a lone UTF-16 surrogate (not valid Unicode)';
}

const MAX_DEPTH = 200;

export interface BadString {
  /** Where, as `env.FOO`, `phases.test[0]` or `(key of env)`; empty for the value itself. */
  path: string;
  problem: string;
}

/** The first string (value or object key) in a JSON-like value with a bad character. */
export function findBadString(value: unknown, path = '', depth = 0): BadString | undefined {
  if (typeof value === 'string') {
    const problem = badCharacter(value);
    return problem ? { path, problem } : undefined;
  }
  if (!value || typeof value !== 'object') return undefined;
  if (depth > MAX_DEPTH) return { path, problem: `is nested deeper than ${MAX_DEPTH} levels` };
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = findBadString(value[i], `${path}[${i}]`, depth + 1);
      if (found) return found;
    }
    return undefined;
  }
  for (const [key, v] of Object.entries(value)) {
    const where = path ? `${path}.${key}` : key;
    const keyProblem = badCharacter(key);
    if (keyProblem) return { path: `${path ? `${path}.` : ''}${JSON.stringify(key).slice(1, -1)}`, problem: `key ${keyProblem}` };
    const found = findBadString(v, where, depth + 1);
    if (found) return found;
  }
  return undefined;
}

/** "env.FOO contains a NUL character (\u0000)" — for error messages. */
export const describeBadString = (bad: BadString, prefix = '') =>
  `${prefix}${bad.path || 'the value'} ${bad.problem}`;

/** A copy of a JSON-like value with every bad character replaced by U+FFFD. */
export function replaceBadCharacters<T>(value: T, depth = 0): T {
  if (typeof value === 'string') return (BAD.test(value) ? value.replace(BAD_ALL, '\uFFFD') : value) as T;
  if (!value || typeof value !== 'object' || depth > 200) return value;
  if (Array.isArray(value)) return value.map((v) => replaceBadCharacters(v, depth + 1)) as T;
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) => [replaceBadCharacters(k, depth + 1), replaceBadCharacters(v, depth + 1)]),
  ) as T;
}
