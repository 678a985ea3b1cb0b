/**
 * Keeps a plugin's secret field values out of the queen's own log and of the messages it
 * stores: what a plugin logs, and the errors its phases and hooks throw (webhook-notify's
 * failure names its URL), go through the plugin's redactor first — including an error's
 * stack and causes, which pino writes out (server/log-errors.ts).
 */
import { SecretRedactor } from '../../common/secrets/redact.ts';
import type { PluginRegistry } from '../../plugins/loader.ts';
import { secretLeavesOf } from './plugin-secret-fields.ts';

/** As the drone masks secrets in a build's output (drone/secret-masker.ts). */
const MASK = '********';

/** The redactor of one plugin entry's secret values (opened), masked as the drone masks them. */
export function pluginRedactor(registry: PluginRegistry, entry: { name: string; config?: unknown }): SecretRedactor {
  return new SecretRedactor(secretLeavesOf(registry, [entry]).map((l) => l.value), MASK);
}

/** `value` with every secret replaced in its strings, errors (message, stack, cause) and nested objects. */
export function redactDeep(value: unknown, redactor: SecretRedactor, depth = 0): unknown {
  if (!redactor.pattern || depth > 8) return value;
  if (typeof value === 'string') return redactor.redact(value);
  if (value instanceof Error) {
    const copy = Object.create(Object.getPrototypeOf(value)) as Error;
    for (const [k, v] of Object.entries(value)) (copy as unknown as Record<string, unknown>)[k] = redactDeep(v, redactor, depth + 1);
    copy.message = redactor.redact(value.message);
    if (value.stack) copy.stack = redactor.redact(value.stack);
    if (value.cause !== undefined) copy.cause = redactDeep(value.cause, redactor, depth + 1);
    return copy;
  }
  if (Array.isArray(value)) return value.map((v) => redactDeep(v, redactor, depth + 1));
  if (value && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactDeep(v, redactor, depth + 1)]));
  }
  return value;
}

/** An error's message with the secrets replaced (for a job's stored message). */
export function redactedMessage(err: unknown, redactor: SecretRedactor): string {
  return redactor.redact(err instanceof Error ? err.message : String(err));
}
