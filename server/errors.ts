/**
 * The few typed errors the queen throws on purpose. `app.onError` maps them to HTTP
 * statuses with a body `{ error: { code, message } }`; anything else is a 500 whose
 * details go to the log, not to the client.
 */
export { ProtocolError } from '../common/protocol/protocol-error.ts';
/** A configuration value that is missing or malformed; the queen refuses to start. */
export { ConfigError } from '../common/config-error.ts';

export class HiveError extends Error {
  readonly status: number = 500;
  readonly code: string = 'internal_error';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}
/**
 * A HiveError subclass with a fixed HTTP status and code: each error below is one line,
 * so the status/code table is readable at a glance.
 */
export function httpErrorClass(status: number, code: string) {
  return class extends HiveError {
    override readonly status = status;
    override readonly code = code;
  };
}

export class ValidationError extends httpErrorClass(400, 'validation_error') {}
export class UnauthorizedError extends httpErrorClass(401, 'unauthorized') {}
/** Authenticated, but not allowed: e.g. a non-admin managing projects, drones or users. */
export class ForbiddenError extends httpErrorClass(403, 'forbidden') {}
export class NotFoundError extends httpErrorClass(404, 'not_found') {}
export class ConflictError extends httpErrorClass(409, 'conflict') {}
/** A job with the same dedup key exists already (a schedule's due time that fired before). */
export class DuplicateJobError extends ConflictError {}
/** The thing existed but was deliberately removed (a log pruned by retention): not coming back. */
/** A conditional request's precondition (If-Match: the version it was derived from) no longer holds: nothing was written. */
export class PreconditionFailedError extends httpErrorClass(412, 'precondition_failed') {}
export class GoneError extends httpErrorClass(410, 'gone') {}
export class PayloadTooLargeError extends httpErrorClass(413, 'payload_too_large') {}
/** Resolving a job's spec failed (repository unreachable, bad .hive.yml): the job ends `errored`. */
export class ResolveError extends httpErrorClass(500, 'resolve_error') {}

/** The row, or a `NotFoundError` saying which `what` with this id does not exist. */
export function mustExist<T>(row: T | undefined | null, what: string, id: string): T {
  if (row === undefined || row === null) throw new NotFoundError(`${what} ${id} does not exist`);
  return row;
}
