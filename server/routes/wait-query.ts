/**
 * `?wait=<seconds>` on the API's job and run endpoints: hold the answer until the job or
 * run has ended (200 with its final JSON) or the time is up (202 with its JSON as it is
 * now). At most an hour: the queen's HTTP server cuts no answer that takes that long
 * (Node's `requestTimeout` covers receiving the request only, `timeout` is 0), but
 * proxies in front of it may — clients that wait longer ask again (the CLI does).
 */
import type { Context } from 'hono';
import { z } from 'zod';
import { ValidationError } from '../errors.ts';

export const MAX_WAIT_SECONDS = 3600;

const waitSeconds = z.coerce
  .number({ error: 'must be a number of seconds' })
  .gt(0, 'must be more than 0 seconds')
  .max(MAX_WAIT_SECONDS, `must be at most ${MAX_WAIT_SECONDS} seconds`);

/** The wait asked for, in milliseconds; undefined when the request does not ask to wait. */
export function waitMs(c: Context): number | undefined {
  const raw = c.req.query('wait');
  if (raw === undefined) return undefined;
  const parsed = waitSeconds.safeParse(raw.trim() === '' ? Number.NaN : raw);
  if (!parsed.success) throw new ValidationError(`wait: ${parsed.error.issues[0].message} (0 < wait ≤ ${MAX_WAIT_SECONDS})`);
  return Math.round(parsed.data * 1000);
}
