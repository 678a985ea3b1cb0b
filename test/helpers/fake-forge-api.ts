/**
 * A local HTTP server standing in for GitHub's or GitLab's REST API: it records every
 * request (method, path, headers, parsed JSON body) and answers 201, or whatever
 * statuses the test queued with `failNext` — e.g. one 502 to see the queen retry. A GET
 * (the contents API) gets what `answerGet` set for its path, else 404.
 *
 *   const api = await startFakeForgeApi();
 *   api.failNext(502);
 *   const req = await api.waitFor((r) => r.body.state === 'success');
 */
import { EventEmitter } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: any;
  /** The status the fake answered with. */
  answered: number;
}

export interface FakeForgeApi {
  /** Base URL, e.g. `http://127.0.0.1:41234`. */
  url: string;
  requests: RecordedRequest[];
  /** The next requests other than GETs get these statuses (in order) instead of 201. */
  failNext(...statuses: number[]): void;
  /** GETs of this path (with its query) get this answer from now on. */
  answerGet(path: string, status: number, body: unknown): void;
  /** The first request (already received or still to come) that matches. */
  waitFor(match: (r: RecordedRequest) => boolean, timeoutMs?: number): Promise<RecordedRequest>;
  close(): Promise<void>;
}

export async function startFakeForgeApi(): Promise<FakeForgeApi> {
  const requests: RecordedRequest[] = [];
  const queued: number[] = [];
  const gets = new Map<string, { status: number; body: unknown }>();
  const events = new EventEmitter();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      let body: unknown = text;
      try {
        body = text ? JSON.parse(text) : undefined;
      } catch { /* recorded as text */ }
      const get = req.method === 'GET' ? gets.get(req.url ?? '') ?? { status: 404, body: { message: 'Not Found' } } : undefined;
      const status = get?.status ?? queued.shift() ?? 201;
      const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : v ?? '']));
      const recorded = { method: req.method ?? '', path: req.url ?? '', headers, body, answered: status };
      requests.push(recorded);
      const answer = get ? get.body : status < 300 ? { id: requests.length } : { message: 'fake failure' };
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(answer));
      events.emit('request', recorded);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    failNext: (...statuses) => queued.push(...statuses),
    answerGet: (path, status, body) => gets.set(path, { status, body }),
    waitFor: (match, timeoutMs = 60_000) => new Promise((resolve, reject) => {
      const found = requests.find(match);
      if (found) return resolve(found);
      const timer = setTimeout(() => {
        events.off('request', listener);
        reject(new Error(`no matching request within ${timeoutMs} ms; got:\n${requests.map((r) => `${r.method} ${r.path} ${JSON.stringify(r.body)}`).join('\n')}`));
      }, timeoutMs);
      const listener = (r: RecordedRequest) => {
        if (!match(r)) return;
        clearTimeout(timer);
        events.off('request', listener);
        resolve(r);
      };
      events.on('request', listener);
    }),
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
