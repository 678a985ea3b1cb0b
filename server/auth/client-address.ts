/**
 * The address a request comes from, for throttling and for the log: the socket's peer.
 * Behind a reverse proxy every request comes from the proxy, so with `HIVE_TRUST_PROXY`
 * the first `X-Forwarded-For` entry (the client as the proxy saw it) is used instead.
 * Only set it when a proxy that overwrites the header is in front: otherwise a client
 * names any address it likes and escapes the per-address throttle.
 */
import type { IncomingMessage } from 'node:http';
import type { Context } from 'hono';

export const UNKNOWN_ADDRESS = 'unknown';

export function addressOf(req: Pick<IncomingMessage, 'headers' | 'socket'> | undefined, trustProxy: boolean): string {
  if (!req) return UNKNOWN_ADDRESS;
  if (trustProxy) {
    const header = req.headers['x-forwarded-for'];
    const first = (Array.isArray(header) ? header[0] : header)?.split(',')[0]?.trim();
    if (first) return first.slice(0, 100);
  }
  return req.socket?.remoteAddress ?? UNKNOWN_ADDRESS;
}

/** The request's address under @hono/node-server (`c.env.incoming`); "unknown" in `app.request()` tests. */
export function requestAddress(c: Context, trustProxy: boolean): string {
  const incoming = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;
  if (!incoming && trustProxy) {
    const first = c.req.header('x-forwarded-for')?.split(',')[0]?.trim();
    if (first) return first.slice(0, 100);
  }
  return addressOf(incoming, trustProxy);
}
