/**
 * API and drone tokens: random, shown once, stored as sha256 hashes. At first start the
 * queen makes an admin token and a drone token unless the environment gives them, and
 * prints them once; later starts accept the stored hashes.
 */
import { createHash, hash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Db } from '../db/client.ts';
import {
  bootstrapTokenName, countTokens, findActiveToken, insertToken, revokeOtherBootstrapTokens, type ApiToken, type TokenKind,
} from '../db/tokens.ts';

export const generateToken = (prefix: string) => `${prefix}_${randomBytes(24).toString('base64url')}`;
/** Every API request hashes its credential: the one-shot `hash` makes no Hash object (~4× faster). */
export const hashToken = (token: string) => hash('sha256', token, 'hex');

/** Constant-time comparison of two secrets of any length. */
export function secretsEqual(a: string, b: string): boolean {
  const ha = createHash('sha256').update(a).digest();
  const hb = createHash('sha256').update(b).digest();
  return timingSafeEqual(ha, hb);
}

export interface BootstrapResult {
  /** Tokens generated now, to print once. */
  created: { kind: TokenKind; token: string }[];
  /** Earlier bootstrap tokens the environment's token replaced (revoked now). */
  replaced: { kind: TokenKind; count: number }[];
  /** Kinds whose token in the environment was revoked through the API: it stays revoked. */
  revokedGiven: TokenKind[];
}

/**
 * Makes sure an admin and a drone token exist. A token given in the config is stored
 * (hashed) so it works like a generated one, and replaces the earlier bootstrap tokens of
 * its kind (set the variable to rotate); missing ones are generated. Users' own tokens and
 * drones' own tokens are never touched here.
 */
export async function bootstrapTokens(
  db: Db,
  given: { adminToken?: string; droneToken?: string },
): Promise<BootstrapResult> {
  const result: BootstrapResult = { created: [], replaced: [], revokedGiven: [] };
  const { created } = result;
  for (const [kind, value, prefix] of [
    ['admin', given.adminToken, 'hive'],
    ['drone', given.droneToken, 'drone'],
  ] as const) {
    if (value) {
      const tokenHash = hashToken(value);
      await insertToken(db, { name: bootstrapTokenName(kind, 'from environment'), kind, tokenHash });
      // A token revoked through the API (or rotated: `hive tokens rotate`) is not brought
      // back by a stale variable — and must not take the token that replaced it down either.
      if (!(await findActiveToken(db, tokenHash))) {
        result.revokedGiven.push(kind);
        continue;
      }
      const replaced = await revokeOtherBootstrapTokens(db, kind, tokenHash);
      if (replaced.length > 0) result.replaced.push({ kind, count: replaced.length });
    } else if ((await countTokens(db, kind)) === 0) {
      const token = generateToken(prefix);
      await insertToken(db, { name: bootstrapTokenName(kind, 'generated'), kind, tokenHash: hashToken(token) });
      created.push({ kind, token });
    }
  }
  return result;
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
