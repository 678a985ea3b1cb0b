/**
 * The body of an API trigger (`POST /api/projects/:id/jobs`, `…/runs`): JSON as usual, or
 * `multipart/form-data` with a `job` field holding that JSON and one or more files.
 *
 * The JSON is checked as soon as it arrives — `check` is where the caller refuses bad
 * parameters — so a client that sends `job` first (the CLI does, and the web UI's form)
 * gets its 400 before any file is read. Files are stored as they come (upload-collector.ts);
 * any failure removes what was stored, so a refused trigger leaves nothing behind.
 */
import type { Context } from 'hono';
import type { z } from 'zod';
import type { UploadedFile } from '../../common/upload-files.ts';
import type { Db } from '../db/client.ts';
import { ValidationError } from '../errors.ts';
import type { Project } from '../db/projects.ts';
import { resolveParams } from '../jobs/job-params.ts';
import { describeZodError } from '../jobs/repo-config.ts';
import { readBody } from './request-input.ts';
import { describeBadString, findBadString } from '../util/bad-chars.ts';
import { MultipartError, MultipartReader, multipartBoundary } from '../uploads/multipart-reader.ts';
import { UploadCollector, uploadTooLarge } from '../uploads/upload-collector.ts';

/** HIVE_MAX_UPLOAD_BYTES's default (server/config.ts), for apps made without a config (tests). */
export const DEFAULT_MAX_UPLOAD_BYTES = 50 * 1024 * 1024;

export interface UploadLimits {
  /** HIVE_MAX_UPLOAD_BYTES: the files of one trigger in all. */
  maxUploadBytes: number;
  /** HIVE_MAX_BODY_BYTES: the `job` JSON (and, added to the files, the multipart framing). */
  maxBodyBytes: number;
}

export interface TriggerInput<T> {
  body: T;
  /** Set when files came with the trigger. */
  upload?: { uploadId: string; files: UploadedFile[] };
  /** Removes the stored files: call it when the trigger fails after this returned. */
  discard(): Promise<void>;
}

/** A reader for a multipart request, its size checked against the limits before anything is read. */
export function openMultipart(c: Context, limits: UploadLimits): MultipartReader | undefined {
  const boundary = multipartBoundary(c.req.header('content-type'));
  if (boundary === undefined) return undefined;
  const maxBytes = limits.maxUploadBytes + limits.maxBodyBytes;
  const declared = Number(c.req.header('content-length'));
  if (Number.isFinite(declared) && declared > maxBytes) throw uploadTooLarge(limits.maxUploadBytes);
  return new MultipartReader(c.req.raw.body, boundary, { maxBytes, tooLarge: () => uploadTooLarge(limits.maxUploadBytes) });
}

export async function readTriggerRequest<S extends z.ZodType>(
  c: Context,
  schema: S,
  deps: { db: Db; projectId: string; limits: UploadLimits; check: (body: z.output<S>) => void | Promise<void> },
): Promise<TriggerInput<z.output<S>>> {
  const reader = openMultipart(c, deps.limits);
  if (!reader) {
    const body = await readBody(c, schema);
    await deps.check(body);
    return { body, discard: async () => {} };
  }
  const collector = new UploadCollector(deps.db, deps.projectId, deps.limits.maxUploadBytes);
  try {
    let body: z.output<S> | undefined;
    for (let part; (part = await reader.next()); ) {
      if (part.filename !== undefined) {
        await collector.add(part.filename, reader);
      } else if (part.name === 'job') {
        if (body !== undefined) throw new MultipartError('The multipart body has two "job" fields');
        body = parseJobField(await reader.text(deps.limits.maxBodyBytes, 'job'), schema);
        await deps.check(body);
      } else {
        throw new MultipartError(`Unknown field "${part.name.slice(0, 100)}": a multipart trigger has a "job" field (the JSON body) and files`);
      }
    }
    if (body === undefined) {
      body = parseJobField('{}', schema);
      await deps.check(body);
    }
    const files = [...collector.files];
    return {
      body,
      ...(files.length > 0 && { upload: { uploadId: collector.uploadId, files } }),
      discard: () => collector.discard(),
    };
  } catch (err) {
    await reader.cancel();
    await collector.discard();
    throw err;
  }
}

/**
 * A trigger of a project as `POST …/jobs` and `POST …/runs` take it: the body (JSON or
 * multipart), its `params` checked against the project's declared parameters with their
 * defaults filled in (job-params.ts) before any file is read, and the stored files.
 */
export async function readProjectTrigger<S extends z.ZodType<{ params?: Record<string, string> }>>(
  c: Context,
  schema: S,
  deps: { db: Db; project: Pick<Project, 'id' | 'parameters'>; limits: UploadLimits },
): Promise<TriggerInput<z.output<S>> & { params: Record<string, string> }> {
  let params: Record<string, string> = {};
  const input = await readTriggerRequest(c, schema, {
    db: deps.db,
    projectId: deps.project.id,
    limits: deps.limits,
    check: (body) => {
      params = resolveParams(deps.project.parameters, body.params);
    },
  });
  return { ...input, params };
}

/** The limits of an app's deps (HIVE_MAX_UPLOAD_BYTES, HIVE_MAX_BODY_BYTES), with their defaults. */
export function uploadLimitsOf(deps: { maxUploadBytes?: number; maxBodyBytes?: number }): UploadLimits {
  return { maxUploadBytes: deps.maxUploadBytes ?? DEFAULT_MAX_UPLOAD_BYTES, maxBodyBytes: deps.maxBodyBytes ?? 1024 * 1024 };
}

function parseJobField<S extends z.ZodType>(text: string, schema: S): z.output<S> {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (cause) {
    throw new ValidationError('The "job" field is not valid JSON', { cause });
  }
  const bad = findBadString(raw);
  if (bad) throw new ValidationError(describeBadString(bad));
  const parsed = schema.safeParse(raw);
  if (!parsed.success) throw new ValidationError(describeZodError(parsed.error), { cause: parsed.error });
  return parsed.data;
}
