/** What the engine said, without docker-modem's "(HTTP code 500) server error - " prefix. */
export function engineMessage(err: unknown): string {
  const e = err as { json?: { message?: unknown }; message?: unknown } | undefined;
  const fromJson = e?.json && typeof e.json.message === 'string' ? e.json.message : undefined;
  const text = fromJson ?? (typeof e?.message === 'string' ? e.message : String(err));
  return text.replace(/^\(HTTP code \d+\)[^-]*-\s*/, '').trim().slice(0, 2_000);
}

/** The engine's HTTP status for a failed call, when it gave one. */
export function engineStatus(err: unknown): number | undefined {
  const code = (err as { statusCode?: unknown } | undefined)?.statusCode;
  return typeof code === 'number' ? code : undefined;
}
