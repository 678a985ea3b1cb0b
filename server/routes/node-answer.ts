/**
 * Answers a request straight on node's `ServerResponse`, past Hono's Response and the
 * fetch `Headers` it is built with. For the one route read by many clients at once (a
 * running job's log, `api-job-log.ts`) those were ~12 % of the queen's CPU per read
 * (profiled with 50 readers, bench/log-reads.ts). The route still runs behind Hono's
 * routing and the API's authentication; only its answer is written here, with the
 * security headers every answer carries (security-headers.ts).
 *
 * Under `app.request()` (tests) there is no node response: callers answer through Hono.
 */
import { ServerResponse } from 'node:http';
import type { Context } from 'hono';
import { RESPONSE_ALREADY_SENT } from '@hono/node-server/utils/response';
import { SECURITY_HEADERS } from './security-headers.ts';

/** The node response behind `c`, when the app runs in node's HTTP server. */
export function nodeResponseOf(c: Context): ServerResponse | undefined {
  const out = (c.env as { outgoing?: unknown } | undefined)?.outgoing;
  return out instanceof ServerResponse ? out : undefined;
}

/**
 * Answers 200 with `headers` and the body `held` (read already) followed by `rest`: one
 * write with a Content-Length when there is no rest, else chunked writes that wait for
 * the socket to drain. A client that goes away stops the reading of `rest`; a failure
 * while reading it breaks the connection, so the client sees a cut answer as cut (a
 * chunked answer ended cleanly would pass for the whole log).
 *
 * Returns what a Hono handler returns for an answer it sent itself.
 */
export function answerOnNode(
  out: ServerResponse,
  headers: Record<string, string>,
  held: readonly Uint8Array[],
  rest?: AsyncIterator<Uint8Array>,
  onFailure?: (err: unknown) => void,
): Response {
  const all = { ...SECURITY_HEADERS, ...headers };
  if (!rest) {
    const body = held.length === 1 ? held[0] : Buffer.concat(held);
    out.writeHead(200, { ...all, 'Content-Length': String(body.byteLength) });
    out.end(body);
    return RESPONSE_ALREADY_SENT;
  }
  out.writeHead(200, all);
  void streamRest(out, held, rest).catch((err: unknown) => {
    out.destroy();
    onFailure?.(err);
  });
  return RESPONSE_ALREADY_SENT;
}

/** Writes `held`, then `rest` as it comes, waiting for the socket to drain; stops when the client is gone. */
async function streamRest(out: ServerResponse, held: readonly Uint8Array[], rest: AsyncIterator<Uint8Array>): Promise<void> {
  let gone = false;
  let wake: (() => void) | undefined;
  const onGone = () => {
    gone = true;
    wake?.();
  };
  const onDrain = () => wake?.();
  out.once('close', onGone);
  out.on('drain', onDrain);
  const write = async (bytes: Uint8Array) => {
    if (out.write(bytes) || gone) return;
    await new Promise<void>((resolve) => {
      wake = resolve;
    });
    wake = undefined;
  };
  try {
    for (const bytes of held) await write(bytes);
    let next = gone ? undefined : await rest.next();
    while (next && !next.done && !gone) {
      await write(next.value);
      next = gone ? undefined : await rest.next();
    }
    if (gone) await rest.return?.();
    else out.end();
  } finally {
    out.off('close', onGone);
    out.off('drain', onDrain);
  }
}
