/**
 * Safe reads from an untrusted webhook payload: a field of the wrong type reads as
 * absent rather than throwing, so a malformed payload is ignored with a reason instead
 * of failing the request with a 500.
 */
export type Json = Record<string, unknown>;

export function obj(value: unknown, ...path: string[]): Json | undefined {
  let cur: unknown = value;
  for (const key of path) {
    if (!cur || typeof cur !== 'object' || Array.isArray(cur)) return undefined;
    cur = (cur as Json)[key];
  }
  return cur && typeof cur === 'object' && !Array.isArray(cur) ? (cur as Json) : undefined;
}

export function str(value: unknown, ...path: string[]): string | undefined {
  const parent = obj(value, ...path.slice(0, -1));
  const v = parent?.[path[path.length - 1]];
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/**
 * A URL field, only when its scheme is http(s): the trigger's links are shown as links
 * in the pages, and a payload could name `javascript:` or `data:` URLs.
 */
export function link(value: unknown, ...path: string[]): string | undefined {
  const v = str(value, ...path);
  if (!v) return undefined;
  try {
    return ['http:', 'https:'].includes(new URL(v).protocol) ? v : undefined;
  } catch {
    return undefined;
  }
}

export function num(value: unknown, ...path: string[]): number | undefined {
  const parent = obj(value, ...path.slice(0, -1));
  const v = parent?.[path[path.length - 1]];
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

export function bool(value: unknown, ...path: string[]): boolean | undefined {
  const parent = obj(value, ...path.slice(0, -1));
  const v = parent?.[path[path.length - 1]];
  return typeof v === 'boolean' ? v : undefined;
}

export function list(value: unknown, ...path: string[]): unknown[] {
  const parent = obj(value, ...path.slice(0, -1));
  const v = parent?.[path[path.length - 1]];
  return Array.isArray(v) ? v : [];
}

/** The defined strings among `values`, without duplicates. */
export const strings = (...values: (string | undefined)[]) => [...new Set(values.filter((v): v is string => !!v))];
