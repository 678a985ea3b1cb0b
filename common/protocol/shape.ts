/**
 * A tiny structural validator for protocol messages. The protocol may import only Node
 * built-ins (drones depend on it), so it cannot use zod; this covers what messages need.
 * Each checker returns an error string, or undefined when the value fits.
 */
export type Check = (value: unknown, path: string) => string | undefined;

const typeName = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);
const fail = (path: string, want: string, v: unknown) => `${path}: expected ${want}, got ${typeName(v)}`;

export const str = (maxLength = 1 << 20): Check => (v, p) =>
  typeof v !== 'string' ? fail(p, 'string', v) : v.length > maxLength ? `${p}: longer than ${maxLength}` : undefined;
export const nonEmptyStr = (maxLength = 1 << 20): Check => (v, p) =>
  str(maxLength)(v, p) ?? ((v as string).length === 0 ? `${p}: must not be empty` : undefined);
export const int = (min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER): Check => (v, p) =>
  typeof v !== 'number' || !Number.isInteger(v)
    ? fail(p, 'integer', v)
    : v < min || v > max
      ? `${p}: must be between ${min} and ${max}`
      : undefined;
export const num = (min = -Infinity): Check => (v, p) =>
  typeof v !== 'number' || !Number.isFinite(v) ? fail(p, 'number', v) : v < min ? `${p}: must be ≥ ${min}` : undefined;
export const bool: Check = (v, p) => (typeof v === 'boolean' ? undefined : fail(p, 'boolean', v));
export const oneOf = (values: readonly string[]): Check => (v, p) =>
  typeof v === 'string' && values.includes(v) ? undefined : `${p}: expected one of ${values.join('|')}`;
export const nullable = (c: Check): Check => (v, p) => (v === null ? undefined : c(v, p));
export const optional = (c: Check): Check => (v, p) => (v === undefined ? undefined : c(v, p));
export const arrayOf = (c: Check, maxItems = 100_000): Check => (v, p) => {
  if (!Array.isArray(v)) return fail(p, 'array', v);
  if (v.length > maxItems) return `${p}: more than ${maxItems} items`;
  for (let i = 0; i < v.length; i++) {
    const e = c(v[i], `${p}[${i}]`);
    if (e) return e;
  }
  return undefined;
};
export const recordOf = (c: Check): Check => (v, p) => {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return fail(p, 'object', v);
  for (const [k, x] of Object.entries(v)) {
    const e = c(x, `${p}.${k}`);
    if (e) return e;
  }
  return undefined;
};
export const object = (fields: Record<string, Check>): Check => (v, p) => {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return fail(p, 'object', v);
  const o = v as Record<string, unknown>;
  for (const [k, c] of Object.entries(fields)) {
    const e = c(o[k], p ? `${p}.${k}` : k);
    if (e) return e;
  }
  return undefined;
};
export const any: Check = () => undefined;
