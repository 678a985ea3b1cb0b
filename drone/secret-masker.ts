/**
 * Replaces secret values with `********` in everything a job shows: output, displayed
 * command text, error messages.
 *
 * Output arrives in arbitrary chunks, so a secret may be split across two of them. A
 * `MaskingStream` therefore holds back the shortest tail that could still be the start of
 * a secret, and releases it once the next chunk (or the end) shows whether it is one. Only
 * a tail that is a real prefix of a secret is held, so ordinary output is never delayed.
 * Which values count and how a whole text is masked is common/secrets/redact.ts's rule.
 */
import { SecretRedactor } from '../common/secrets/redact.ts';

export const MASK = '********';

/** A stateful text filter over one stream of chunks (see OutputCoalescer). */
export interface TextFilter {
  /** Returns the part of `text` (plus held-back text) that is final. */
  write(text: string): string;
  /** Returns everything still held back. */
  end(): string;
}

export class SecretMasker {
  readonly #redactor: SecretRedactor;

  constructor(values: Iterable<string>) {
    this.#redactor = new SecretRedactor(values, MASK);
  }

  get hasSecrets(): boolean {
    return this.#redactor.pattern !== undefined;
  }

  /** Masks a complete text (command text, an error message). */
  mask(text: string): string {
    return this.#redactor.redact(text);
  }

  /** A filter for one output stream whose chunks may split secrets. */
  stream(): TextFilter {
    if (!this.#redactor.pattern) return { write: (text) => text, end: () => '' };
    let held = '';
    return {
      write: (text) => {
        const { out, rest } = this.#maskPrefix(held + text);
        held = rest;
        return out;
      },
      end: () => {
        const out = this.mask(held);
        held = '';
        return out;
      },
    };
  }

  /**
   * Masks the longest prefix of `buf` that no later text can change, and returns the rest.
   * Only a suffix that is a proper prefix of a secret can become a secret later; a match
   * that starts before that suffix but runs into it is final (a whole-text scan would
   * take it too) and is emitted whole.
   */
  #maskPrefix(buf: string): { out: string; rest: string } {
    const pattern = this.#redactor.pattern!;
    const hold = this.#holdStart(buf);
    let out = '';
    let last = 0;
    let cut = hold;
    pattern.lastIndex = 0;
    for (const m of buf.matchAll(pattern)) {
      const start = m.index;
      if (start >= hold) break;
      out += buf.slice(last, start) + MASK;
      last = start + m[0].length;
      if (last > hold) {
        cut = last;
        break;
      }
    }
    if (last < cut) out += buf.slice(last, cut);
    return { out, rest: buf.slice(cut) };
  }

  /** Start of the longest suffix of `buf` that is a proper prefix of some secret. */
  #holdStart(buf: string): number {
    const secrets = this.#redactor.secrets;
    const longest = secrets[0].length;
    for (let i = Math.max(0, buf.length - longest + 1); i < buf.length; i++) {
      const tail = buf.slice(i);
      if (secrets.some((s) => s.length > tail.length && s.startsWith(tail))) return i;
    }
    return buf.length;
  }
}
