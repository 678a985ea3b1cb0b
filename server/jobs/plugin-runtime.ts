/** What plugin calls share: a logger scoped to the plugin, and a bound on how long they may take. */
import type { PluginLogger } from '../../plugins/api.ts';
import type { Logger } from '../logger.ts';
import type { SecretRedactor } from '../../common/secrets/redact.ts';
import { redactDeep } from './plugin-redaction.ts';

export class PluginTimeoutError extends Error {
  override name = 'PluginTimeoutError';
}

/** What the plugin logs, with its secret field values replaced (a plugin may well log its own URL). */
export function pluginLogger(log: Logger, plugin: string, redactor: SecretRedactor): PluginLogger {
  const child = log.child({ plugin });
  const clean = (details: Record<string, unknown> | undefined) => redactDeep(details ?? {}, redactor) as Record<string, unknown>;
  return {
    info: (message, details) => child.info(clean(details), redactor.redact(message)),
    warn: (message, details) => child.warn(clean(details), redactor.redact(message)),
    error: (message, details) => child.error(clean(details), redactor.redact(message)),
  };
}

/** Rejects when `work` takes longer than `ms`; the work itself cannot be stopped, only abandoned. */
export function withTimeout<T>(work: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new PluginTimeoutError(message)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}
