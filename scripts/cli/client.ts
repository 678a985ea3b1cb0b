/** A small client of the queen's REST API and `/api/events` socket, as the CLI uses them. */
import { WebSocket } from 'ws';
import type { CliConfig } from './config.ts';
import { FINAL_STATUSES } from '../../common/protocol/constants.ts';

export class ApiError extends Error {
  override name = 'ApiError';
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

export async function api<T = any>(config: CliConfig, method: string, path: string, body?: unknown): Promise<T> {
  return (await apiAnswer<T>(config, method, path, body)).body;
}

/** Like `api`, with the answer's status too (`?wait` answers 202 when the time ran out first). */
export async function apiAnswer<T = any>(config: CliConfig, method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
  const res = await fetch(`${config.url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${config.token}`,
      'x-hive-client': 'cli',
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) {
    let message = text;
    try {
      message = JSON.parse(text).error.message;
    } catch {
      // not our JSON error shape: show the body as it is
    }
    throw new ApiError(res.status, `${method} ${path} → ${res.status}: ${message}`);
  }
  return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T };
}

/**
 * Streams a job's output to `write` from the beginning, live, until the job ends; resolves
 * with the final job. Reconnects after a dropped socket and resumes after the last seq seen.
 */
export function followJob(config: CliConfig, jobId: string, write: (text: string) => void): Promise<any> {
  let lastSeq = 0;
  let final: any;
  return new Promise((resolve, reject) => {
    let attempt = 0;
    const connect = () => {
      const ws = new WebSocket(`${config.url.replace(/^http/, 'ws')}/api/events`, { headers: { authorization: `Bearer ${config.token}` } });
      ws.on('open', () => {
        attempt = 0;
        ws.send(JSON.stringify({ type: 'subscribe', jobId, after: lastSeq }));
      });
      ws.on('message', (raw) => {
        const m = JSON.parse(raw.toString());
        if (m.type === 'error') {
          ws.close();
          reject(new Error(m.message));
          return;
        }
        if (m.type === 'events') {
          for (const e of m.events) {
            lastSeq = e.seq;
            if (e.type === 'job:cmd:start') write(`$ ${e.command}\n`);
            else if (e.type === 'job:cmd:stdout' || e.type === 'job:cmd:stderr' || e.type === 'job:log') write(e.data);
            else if (e.type === 'job:cmd:done' && e.exitCode !== 0) write(`[${e.error ?? `exit code ${e.exitCode}`}]\n`);
          }
        }
        if (m.type === 'job' && (FINAL_STATUSES as readonly string[]).includes(m.job.status)) final = m.job;
        // Done once the job has ended and every event it produced has been shown.
        if (final && lastSeq >= final.lastSeq) {
          ws.close();
          resolve(final);
        }
      });
      ws.on('close', () => {
        if (final && lastSeq >= final.lastSeq) return;
        setTimeout(connect, Math.min(200 * 2 ** attempt++, 5000));
      });
      ws.on('error', () => {}); // 'close' follows and reconnects
    };
    connect();
  });
}
