/**
 * The few Docker Engine API calls a drone makes whether or not a job ever runs in a
 * container — is there an engine, what did a crashed run of this drone leave behind — as
 * plain HTTP requests. dockerode, with what it pulls in (ssh2, grpc, protobufjs: ~13 MiB
 * resident), is loaded only for the first job that runs in a container
 * (executors/lazy-docker.ts).
 */
import http from 'node:http';
import type { EngineAddress } from './engine-address.ts';

/**
 * A call the engine answered with an error status, or could not be made. `statusCode` and
 * `json` are where docker-modem puts them, so engine-error.ts reads both kinds alike.
 */
export class EngineApiError extends Error {
  override name = 'EngineApiError';
  constructor(message: string, readonly statusCode?: number, readonly json?: { message?: string }, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** One request; resolves the parsed JSON body (undefined for an empty one). */
export function engineRequest<T>(address: EngineAddress, method: 'GET' | 'DELETE', path: string, signal?: AbortSignal): Promise<T> {
  return new Promise((resolve, reject) => {
    const req = http.request({ ...address, method, path, signal, headers: { accept: 'application/json' } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', reject);
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let body: unknown;
        try {
          body = text ? JSON.parse(text) : undefined;
        } catch {
          body = { message: text.trim() };
        }
        const status = res.statusCode ?? 0;
        if (status >= 200 && status < 300) return resolve(body as T);
        const json = body as { message?: string } | undefined;
        reject(new EngineApiError(`(HTTP code ${status}) ${json?.message ?? 'no message'}`, status, json));
      });
    });
    req.on('error', (err) => reject(new EngineApiError(err.message, undefined, undefined, { cause: err })));
    req.end();
  });
}

/** `?filters=` as the engine wants it: a JSON object of lists. */
export const filtersQuery = (filters: Record<string, string[]>) => `filters=${encodeURIComponent(JSON.stringify(filters))}`;
