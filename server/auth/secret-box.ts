/**
 * Encryption at rest for secrets (project secrets, forge tokens, webhook secrets, clone
 * credentials): AES-256-GCM with a random 96-bit nonce per value. Ciphertexts look like
 * `v1.<nonce>.<tag>.<data>` (base64url), so the format can evolve.
 *
 * The key comes from `HIVE_SECRET_KEY` (32 bytes, hex or base64) or, when that is unset,
 * from a key file generated once under the data dir (mode 0600). Queens that share one
 * PostgreSQL must share the key, so they should set `HIVE_SECRET_KEY`.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { ConfigError, HiveError } from '../errors.ts';

export class SecretBoxError extends HiveError {
  override readonly code = 'secret_box_error';
}

export class SecretBox {
  readonly #key: Buffer;

  constructor(key: Buffer) {
    if (key.length !== 32) throw new ConfigError(`Expected the secret key to be 32 bytes, got ${key.length}`);
    this.#key = key;
  }

  seal(plaintext: string): string {
    const nonce = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.#key, nonce);
    const data = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return ['v1', nonce, cipher.getAuthTag(), data].map((p) => (typeof p === 'string' ? p : p.toString('base64url'))).join('.');
  }

  open(sealed: string): string {
    const [version, nonce, tag, data] = sealed.split('.');
    if (version !== 'v1' || nonce === undefined || tag === undefined || data === undefined) {
      throw new SecretBoxError('Not a sealed secret');
    }
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.#key, Buffer.from(nonce, 'base64url'));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([decipher.update(Buffer.from(data, 'base64url')), decipher.final()]).toString('utf8');
    } catch (cause) {
      throw new SecretBoxError('A stored secret could not be decrypted (was HIVE_SECRET_KEY changed?)', { cause });
    }
  }
}

/** Parses a 32-byte key given as 64 hex characters or base64. */
export function parseSecretKey(text: string): Buffer {
  const t = text.trim();
  const key = /^[0-9a-f]{64}$/i.test(t) ? Buffer.from(t, 'hex') : Buffer.from(t, 'base64');
  if (key.length !== 32) throw new ConfigError(`Expected HIVE_SECRET_KEY to be 32 bytes (64 hex characters or base64), got ${key.length} bytes`);
  return key;
}

/** The configured key, or the one in `keyFile` (created with a random key when missing). */
export async function loadSecretBox(configured: string | undefined, keyFile: string): Promise<SecretBox> {
  if (configured) return new SecretBox(parseSecretKey(configured));
  try {
    return new SecretBox(parseSecretKey(await readFile(keyFile, 'utf8')));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  await mkdir(dirname(keyFile), { recursive: true });
  const key = randomBytes(32);
  await writeFile(keyFile, key.toString('hex') + '\n', { mode: 0o600, flag: 'wx' }).catch(async (err) => {
    if (err.code !== 'EEXIST') throw err; // another process created it first: use theirs
  });
  await chmod(keyFile, 0o600);
  return new SecretBox(parseSecretKey(await readFile(keyFile, 'utf8')));
}
