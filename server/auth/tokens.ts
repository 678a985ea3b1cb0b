/**
 * API and drone tokens: random, shown once, stored as sha256 hashes. At first start the
 * queen makes an admin token and a drone token unless the environment gives them, and
 * prints them once; later starts accept the stored hashes.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Db } from '../db/client.ts';
import { countTokens, findActiveToken, insertToken, type ApiToken, type TokenKind } from '../db/tokens.ts';

export const generateToken = (prefix: string) => `${prefix}_${randomBytes(24).toString('base64url')}`;
export const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');

/** Constant-time comparison of two secrets of any length. */
export function secretsEqual(a: string, b: string): boolean {
  const ha = createHash('sha256').update(a).digest();
  const hb = createHash('sha256').update(b).digest();
  return timingSafeEqual(ha, hb);
}

export interface BootstrapResult {
  /** Tokens generated now, to print once. */
  created: { kind: TokenKind; token: string }[];
}

/**
 * Makes sure an admin and a drone token exist. Tokens given in the config are stored
 * (hashed) so they work like generated ones; missing ones are generated.
 */
export async function bootstrapTokens(
  db: Db,
  given: { adminToken?: string; droneToken?: string },
): Promise<BootstrapResult> {
  const created: BootstrapResult['created'] = [];
  for (const [kind, value, prefix] of [
    ['admin', given.adminToken, 'hive'],
    ['drone', given.droneToken, 'drone'],
  ] as const) {
    if (value) {
      await insertToken(db, { name: `${kind} (from environment)`, kind, tokenHash: hashToken(value) });
    } else if ((await countTokens(db, kind)) === 0) {
      const token = generateToken(prefix);
      await insertToken(db, { name: `${kind} (generated)`, kind, tokenHash: hashToken(token) });
      created.push({ kind, token });
    }
  }
  return { created };
}

/** The token's record when it is active and of one of the kinds, else undefined. */
export async function verifyToken(db: Db, token: string, kinds: TokenKind[]): Promise<ApiToken | undefined> {
  if (!token || token.length > 512) return undefined;
  const row = await findActiveToken(db, hashToken(token));
  return row && kinds.includes(row.kind) ? row : undefined;
}

/** Reads `Authorization: Bearer <token>`; undefined when absent or malformed. */
export function bearerToken(header: string | undefined | null): string | undefined {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  return match?.[1];
}
