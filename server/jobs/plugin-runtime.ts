/** What plugin calls share: a logger scoped to the plugin, and a bound on how long they may take. */
import type { PluginLogger } from '../../plugins/api.ts';
import type { Logger } from '../logger.ts';

export class PluginTimeoutError extends Error {
  override name = 'PluginTimeoutError';
}

export function pluginLogger(log: Logger, plugin: string): PluginLogger {
  const child = log.child({ plugin });
  return {
    info: (message, details) => child.info(details ?? {}, message),
    warn: (message, details) => child.warn(details ?? {}, message),
    error: (message, details) => child.error(details ?? {}, message),
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
