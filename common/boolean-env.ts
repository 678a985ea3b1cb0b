/**
 * One reading of on/off settings for the queen and the drone, so `HIVE_X=yes` means the
 * same to both. Only config.ts files read the environment; they hand the raw value here.
 */
import { ConfigError } from './config-error.ts';

const TRUE = new Set(['1', 'true', 'yes', 'on']);
const FALSE = new Set(['0', 'false', 'no', 'off']);

/** `raw` as a boolean (case-insensitive, surrounding spaces ignored); unset or empty gives `fallback`. */
export function parseBooleanEnv(name: string, raw: string | undefined, fallback: boolean): boolean {
  const value = raw?.trim().toLowerCase();
  if (value === undefined || value === '') return fallback;
  if (TRUE.has(value)) return true;
  if (FALSE.has(value)) return false;
  throw new ConfigError(`Expected ${name} to be a boolean (true/false/1/0), got ${JSON.stringify(raw)}`);
}
