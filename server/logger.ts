/**
 * The structured logger (pino, JSON lines). Secrets never reach it: known secret-bearing
 * keys are redacted wherever they appear, as a last line of defence. Lines go to stdout
 * without ever blocking the queen on an unread pipe (common/log-destination.ts).
 */
import { pino, type Logger } from 'pino';
import { boundedStdout, type LogDestination } from '../common/log-destination.ts';
import { serializeError } from './log-errors.ts';

export type { Logger };

export const REDACTED_KEYS = [
  'token', 'password', 'secret', 'secrets', 'authorization', 'credentials', 'sshKey', 'webhookSecret', 'forgeToken',
];

/** `destination`: where lines go instead of stdout (tests that read the log). */
export function createLogger(level: string, name = 'queen', destination: LogDestination = boundedStdout({ name })): Logger {
  return pino({
    name,
    level,
    redact: {
      paths: REDACTED_KEYS.flatMap((k) => [k, `*.${k}`, `*.*.${k}`]),
      censor: '[redacted]',
    },
    // A failed query's parameters (job output, hashes) never reach the log (log-errors.ts).
    serializers: { err: serializeError },
  }, destination);
}

/** A logger that writes nothing, for tests that do not look at logs. */
export const silentLogger = (): Logger => pino({ level: 'silent' });
