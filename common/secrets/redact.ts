/**
 * Replaces secret values in text shown to users: the queen's git error messages, the
 * drone's checkout messages and everything a job prints (the drone's `SecretMasker` adds
 * chunk-boundary handling on top of this). One rule for all of them, so a value is either
 * hidden everywhere or, when too short to be worth it, nowhere.
 */

/** Shorter values would hide ordinary text ("1", "on") everywhere and protect nothing. */
export const MIN_SECRET_LENGTH = 3;

/** What a secret becomes when the caller names no replacement. */
export const DEFAULT_REDACTION = '***';

/** A compiled set of secret values: build once, redact many texts. */
export class SecretRedactor {
  /** The distinct values that are redacted, longest first. */
  readonly secrets: readonly string[];
  /** Matches any of `secrets`, longest alternative first; undefined when there are none. */
  readonly pattern: RegExp | undefined;
  readonly #replacement: string;

  constructor(values: Iterable<string>, replacement = DEFAULT_REDACTION) {
    // Longest first: where two secrets start at one place, the longer is redacted whole.
    this.secrets = [...new Set([...values].filter((v) => v.length >= MIN_SECRET_LENGTH))].sort((a, b) => b.length - a.length);
    this.pattern = this.secrets.length ? new RegExp(this.secrets.map(escapeRegExp).join('|'), 'g') : undefined;
    this.#replacement = replacement;
  }

  get replacement(): string {
    return this.#replacement;
  }

  redact(text: string): string {
    return this.pattern ? text.replace(this.pattern, this.#replacement) : text;
  }
}

/** `text` with every secret value replaced (a one-off; build a SecretRedactor to reuse). */
export function redactSecrets(text: string, values: Iterable<string>, replacement = DEFAULT_REDACTION): string {
  return new SecretRedactor(values, replacement).redact(text);
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
