/**
 * The project page's *Run a build* form as the queen reads it. The form is
 * `multipart/form-data` — its file picker needs that — and is read as it streams in
 * (multipart-reader.ts), never buffered whole: the CSRF field, the fields and the
 * parameters (`param.NAME`) come first, and the token and the parameters are checked
 * before the first file is stored; the other fields when all have arrived. Anything refused
 * removes what was stored. A plain urlencoded post (no file picker, older pages) is read
 * as any other form.
 *
 * `requireSessionForRunForm` is the page's session check for it: for a multipart post it
 * does not parse the body for the CSRF token as `requireSession` does (that would buffer
 * the files); `readRunForm` checks the token instead, and always does.
 */
import type { MiddlewareHandler } from 'hono';
import { getCookie } from 'hono/cookie';
import type { z } from 'zod';
import type { UploadedFile } from '../../common/upload-files.ts';
import { CSRF_FIELD, CsrfError, SESSION_COOKIE, csrfMatches, loadSession } from '../auth/sessions.ts';
import type { Db } from '../db/client.ts';
import type { Project } from '../db/projects.ts';
import { PayloadTooLargeError, ValidationError } from '../errors.ts';
import { MAX_PARAMETER_VALUE, resolveParams } from '../jobs/job-params.ts';
import { describeZodError } from '../jobs/repo-config.ts';
import { multipartBoundary } from '../uploads/multipart-reader.ts';
import { UploadCollector } from '../uploads/upload-collector.ts';
import { badCharacter } from '../util/bad-chars.ts';
import { fromSameSite } from './auth-middleware.ts';
import { formBody } from './form-input.ts';
import { openMultipart, type UploadLimits } from './trigger-input.ts';
import type { UiContext, UiEnv } from './ui-render.tsx';
import { requireSession } from './ui-session.ts';

/** Form fields named `param.NAME` carry the value of the parameter NAME. */
const PARAM_PREFIX = 'param.';
/** A plain field (branch, type, times): far more than any takes. */
const MAX_FIELD_BYTES = 16 * 1024;

export interface RunFormInput<T> {
  form: T;
  /** The declared parameters' values, defaults filled in (job-params.ts). */
  params: Record<string, string>;
  upload?: { uploadId: string; files: UploadedFile[] };
  /** Removes the stored files: call it when the trigger fails after this returned. */
  discard(): Promise<void>;
}

export function requireSessionForRunForm(db: Db): MiddlewareHandler<UiEnv> {
  const usual = requireSession(db);
  return async (c, next) => {
    if (!multipartBoundary(c.req.header('content-type'))) return usual(c, next);
    const session = await loadSession(db, getCookie(c, SESSION_COOKIE));
    if (!session) return c.redirect('/login', 303);
    if (!fromSameSite(c)) throw new CsrfError('This form is out of date or came from another site; reload the page and try again');
    c.set('session', session);
    await next(); // readRunForm checks the CSRF field before it reads any file
  };
}

export async function readRunForm<S extends z.ZodType>(
  c: UiContext,
  schema: S,
  deps: { db: Db; project: Pick<Project, 'id' | 'parameters'>; limits: UploadLimits },
): Promise<RunFormInput<z.output<S>>> {
  const fields: Record<string, string> = {};
  const given: Record<string, string> = {};
  const take = (name: string, value: string) => {
    const problem = badCharacter(value);
    if (problem) throw new ValidationError(`The field "${name.slice(0, 100)}" ${problem}.`);
    // An empty parameter field means "not given": the parameter's default applies.
    if (name.startsWith(PARAM_PREFIX)) {
      if (value !== '') given[name.slice(PARAM_PREFIX.length)] = value;
    } else if (name !== CSRF_FIELD) {
      fields[name] = value;
    }
  };
  const parse = () => {
    const parsed = schema.safeParse(fields);
    if (!parsed.success) throw new ValidationError(`Cannot run: ${describeZodError(parsed.error)}`, { cause: parsed.error });
    return { form: parsed.data as z.output<S>, params: resolveParams(deps.project.parameters, given) };
  };

  const reader = openMultipart(c, deps.limits);
  if (!reader) {
    // Checked for CSRF by requireSession already.
    for (const [name, value] of Object.entries(await formBody(c))) if (typeof value === 'string') take(name, value);
    return { ...parse(), discard: async () => {} };
  }
  const session = c.get('session');
  const collector = new UploadCollector(deps.db, deps.project.id, deps.limits.maxUploadBytes);
  let csrfChecked = false;
  try {
    for (let part; (part = await reader.next()); ) {
      if (part.filename !== undefined) {
        if (!csrfChecked) throw new CsrfError('The form sent files before its CSRF token; reload the page and try again');
        // Bad parameters are refused before any file is stored; the rest of the fields may follow the files.
        if (collector.files.length === 0) resolveParams(deps.project.parameters, given);
        await collector.add(part.filename, reader);
      } else if (part.name === CSRF_FIELD) {
        if (!session || !csrfMatches(session, await reader.text(1024, CSRF_FIELD))) {
          throw new CsrfError('This form is out of date or came from another site; reload the page and try again');
        }
        csrfChecked = true;
      } else {
        take(part.name, await reader.text(part.name.startsWith(PARAM_PREFIX) ? MAX_PARAMETER_VALUE * 4 : MAX_FIELD_BYTES, part.name));
      }
    }
    if (!csrfChecked) throw new CsrfError('The form has no CSRF token; reload the page and try again');
    const files = [...collector.files];
    return {
      ...parse(),
      ...(files.length > 0 && { upload: { uploadId: collector.uploadId, files } }),
      discard: () => collector.discard(),
    };
  } catch (err) {
    // The rest of an oversized body is not read: the answer closes the connection.
    if (err instanceof PayloadTooLargeError) c.header('Connection', 'close');
    await reader.cancel();
    await collector.discard();
    throw err;
  }
}
