/**
 * The API's body limit. A body whose length the client declared (`content-length`, the
 * usual case) is judged by that declaration alone — node's HTTP parser delivers exactly
 * that many bytes, never more — so nothing is read here, and the handler's `c.req.json()`
 * takes @hono/node-server's direct read of the request. Hono's `bodyLimit` asks for
 * `c.req.raw.body` first, which makes the adapter build a whole fetch `Request` with a web
 * stream for every such request, and the handler then reads the body through it: a
 * trigger's insert began ~0.7 ms later that way (2.03–2.17 against 2.76–2.86 ms after the
 * trigger, p50, marks through the queen, three runs each way). A body without a declared
 * length (chunked) is counted by Hono's `bodyLimit` as before, and refused the moment it
 * passes the limit.
 */
import type { MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';

export function apiBodyLimit(maxSize: number, tooLarge: () => never): MiddlewareHandler {
  const counted = bodyLimit({ maxSize, onError: tooLarge });
  return (c, next) => {
    const declared = c.req.header('content-length');
    if (declared !== undefined && c.req.header('transfer-encoding') === undefined) {
      return Number.parseInt(declared, 10) > maxSize ? tooLarge() : next();
    }
    return counted(c, next);
  };
}
