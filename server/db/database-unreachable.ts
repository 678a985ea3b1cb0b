/**
 * Whether an error means the database could not be reached (PostgreSQL down, restarting,
 * a connection reset or refused) rather than that a statement failed. The HTTP API answers
 * those with 503 and `Retry-After`, not 500: the request was fine and will work once the
 * database answers again, and nothing was written — a statement on a lost connection is
 * never half-applied (PostgreSQL rolls back what it did not commit).
 *
 * Looked for along the error's `cause` chain, since drizzle wraps the driver's error.
 */

/** postgres.js's own codes for a connection that failed, ended or timed out. */
const DRIVER_CODES = new Set(['CONNECTION_CLOSED', 'CONNECTION_ENDED', 'CONNECTION_DESTROYED', 'CONNECT_TIMEOUT']);
/** The operating system's, for a socket that could not connect or was cut. */
const SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN']);
/**
 * SQLSTATE classes 08 (connection exception) and 57P (the server shutting down, crashed,
 * or not yet accepting connections while it starts).
 */
const SQLSTATE = /^(08...|57P0[1-3])$/;

export function isDatabaseUnreachable(err: unknown): boolean {
  for (let e = err, depth = 0; e instanceof Error && depth < 8; e = e.cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && (DRIVER_CODES.has(code) || SOCKET_CODES.has(code) || SQLSTATE.test(code))) return true;
  }
  return false;
}
