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
export class ValidationError extends HiveError {
  override readonly status = 400;
  override readonly code = 'validation_error';
}
export class UnauthorizedError extends HiveError {
  override readonly status = 401;
  override readonly code = 'unauthorized';
}
/** Authenticated, but not allowed: e.g. a non-admin managing projects, drones or users. */
export class ForbiddenError extends HiveError {
  override readonly status = 403;
  override readonly code = 'forbidden';
}
export class NotFoundError extends HiveError {
  override readonly status = 404;
  override readonly code = 'not_found';
}
export class ConflictError extends HiveError {
  override readonly status = 409;
  override readonly code = 'conflict';
}
/** The thing existed but was deliberately removed (a log pruned by retention): not coming back. */
export class GoneError extends HiveError {
  override readonly status = 410;
  override readonly code = 'gone';
}
export class PayloadTooLargeError extends HiveError {
  override readonly status = 413;
  override readonly code = 'payload_too_large';
}
/** Resolving a job's spec failed (repository unreachable, bad .hive.yml): the job ends `errored`. */
export class ResolveError extends HiveError {
  override readonly code = 'resolve_error';
}
