/**
 * The benches' trigger: a JSON POST over node's own HTTP client with a kept connection.
 *
 * The benches that time "trigger → …" run their client in the process of the queen they
 * measure (and, in compare-buildbot.ts, beside Buildbot's). `fetch` (undici) took ~1 ms
 * of that shared thread per request before its bytes reached the server, and more for
 * its answer, measured with marks in the queen (trigger → `job:started` stored, in-memory
 * PGlite, p50: 12.5–15.0 ms through `fetch`, 10.9–11.0 ms through this). That is the
 * client's time, not the server's — a forge's webhook or `curl` sends from elsewhere — so
 * both systems' triggers go through this lighter client instead.
 */
import { Agent, request } from 'node:http';
import { ADMIN_TOKEN } from '../test/helpers/queen.ts';

const agent = new Agent({ keepAlive: true, maxSockets: 32 });

export interface JsonAnswer {
  status: number;
  /** The answer parsed as JSON; undefined when it is empty or not JSON. */
  body: any;
  text: string;
}

/** POSTs `body` as JSON to `url` (http only) and reads the whole answer. */
export function postJson(url: string, body: unknown, headers: Record<string, string> = {}): Promise<JsonAnswer> {
  const payload = JSON.stringify(body);
  const target = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request({
      agent,
      host: target.hostname,
      port: target.port,
      path: `${target.pathname}${target.search}`,
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(payload)) },
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', reject);
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let parsed: unknown;
        try {
          parsed = text ? JSON.parse(text) : undefined;
        } catch {
          parsed = undefined;
        }
        resolve({ status: res.statusCode ?? 0, body: parsed, text });
      });
    });
    req.on('error', reject);
    req.end(payload);
  });
}

/** Closes the kept connections, so a bench's process can end. */
export function closeJsonPost(): void {
  agent.destroy();
}

/** Triggers a build of a Hive project (`POST /api/projects/:id/jobs`) as the admin; returns the job's id. */
export async function triggerHiveJob(queenUrl: string, projectId: string): Promise<string> {
  const res = await postJson(`${queenUrl}/api/projects/${projectId}/jobs`, {}, { authorization: `Bearer ${ADMIN_TOKEN}` });
  if (res.status !== 201 && res.status !== 200) throw new Error(`trigger: ${res.status} ${res.text}`);
  return res.body.id as string;
}
