/**
 * `GET /drone/jobs/:id/files/:name`: how a drone gets the files uploaded with the job it
 * runs. The job's spec lists only their names and sizes (a 50 MiB file does not fit a
 * WebSocket frame); the drone fetches each here before the first phase.
 *
 * Only the drone running the job may read them: the request needs a drone token that may
 * act for the job's drone (`Authorization: Bearer …`, checked like the drone's socket) AND
 * the job's current lease (`X-Hive-Lease`), which only that drone was given — so neither
 * another drone, nor this one after the job was taken from it, nor an API token can.
 * Content is streamed in slices from the database, never held whole.
 */
import { Hono, type Context } from 'hono';
import { bearerToken, secretsEqual } from '../auth/tokens.ts';
import type { Db } from '../db/client.ts';
import { ACTIVE_STATUSES, findJob } from '../db/jobs.ts';
import { findUploadFile, listUploadFiles, readUploadSlice } from '../db/uploads.ts';
import { ForbiddenError, GoneError, NotFoundError, UnauthorizedError } from '../errors.ts';
import { idParam } from './request-input.ts';

/** Header carrying the job's lease. */
export const LEASE_HEADER = 'x-hive-lease';

/** Bytes per database read while streaming a file. */
const SLICE_BYTES = 1024 * 1024;

/** Whether a drone token may act for the drone named `droneName` (the job's). */
export type DroneFileAccess = (token: string, droneName: string | null) => Promise<
  { allowed: true } | { allowed: false; status: 401 | 403; reason: string }
>;

export interface DroneFileDeps {
  db: Db;
  access: DroneFileAccess;
  /** Hears of every refused token (counted in /metrics, logged rate-limited). */
  onRejected?: (c: Context, reason: string) => void;
}

export function droneFileRoutes(deps: DroneFileDeps) {
  const routes = new Hono();

  routes.get('/jobs/:id/files/:name', async (c) => {
    const token = bearerToken(c.req.header('authorization'));
    if (!token) throw new UnauthorizedError('Missing "Authorization: Bearer <drone token>" header');
    const jobId = idParam(c, 'Job');
    const job = await findJob(deps.db, jobId);
    const access = await deps.access(token, job?.droneName ?? null);
    if (!access.allowed && access.status === 401) {
      deps.onRejected?.(c, access.reason);
      throw new UnauthorizedError('Invalid or revoked drone token');
    }
    if (!job) throw new NotFoundError(`Job ${jobId} does not exist`);
    if (!access.allowed) throw new ForbiddenError(`This drone token may not read the files of job ${jobId}: ${access.reason}`);
    const lease = c.req.header(LEASE_HEADER) ?? '';
    if (!job.lease || !ACTIVE_STATUSES.includes(job.status) || !secretsEqual(lease, job.lease)) {
      throw new ForbiddenError(`The lease in ${LEASE_HEADER} is not job ${jobId}'s current one: only the drone running the job may read its files`);
    }
    const name = c.req.param('name');
    if (!job.uploadId) throw new NotFoundError(`Job ${jobId} has no uploaded files`);
    const file = await findUploadFile(deps.db, job.uploadId, name);
    if (!file) {
      if ((await listUploadFiles(deps.db, job.uploadId)).length === 0) throw new GoneError(`The files uploaded with job ${jobId} were removed by retention`);
      throw new NotFoundError(`Job ${jobId} has no uploaded file named ${JSON.stringify(name.slice(0, 300))}`);
    }
    const { db } = deps;
    const uploadId = job.uploadId;
    let offset = 0;
    const body = new ReadableStream<Uint8Array>({
      async pull(controller) {
        if (offset >= file.size) {
          controller.close();
          return;
        }
        const slice = await readUploadSlice(db, uploadId, name, offset, Math.min(SLICE_BYTES, file.size - offset));
        if (slice.length === 0) {
          controller.error(new Error(`upload ${uploadId} file ${name} ended at ${offset} of ${file.size} bytes`));
          return;
        }
        offset += slice.length;
        controller.enqueue(slice);
      },
    });
    return c.body(body, 200, {
      'Content-Type': 'application/octet-stream',
      'Content-Length': String(file.size),
      'Cache-Control': 'no-store',
    });
  });

  return routes;
}
