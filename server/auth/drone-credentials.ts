/**
 * Who a drone connection is: the credential it opened the socket with, and which drone
 * names that credential may speak for.
 *
 * - a drone's **own** token (`hive drone-token create NAME`) connects that name only;
 * - a **shared** drone token (the bootstrap `HIVE_DRONE_TOKEN`, or one made with
 *   `--shared`) connects drones that have no token of their own — unless the operator
 *   turned shared tokens off (`HIVE_DRONE_SHARED_TOKEN=false`);
 * - the **local** drone of `hive start` holds a token made for that process only.
 *
 * So once a drone has its own token, nobody holding the shared one can say its name,
 * take its jobs (and their secrets) or error the jobs it runs.
 */
import type { Db } from '../db/client.ts';
import { findActiveToken, findDroneOwnToken } from '../db/tokens.ts';
import { hashToken, secretsEqual } from './tokens.ts';

export type DroneCredential =
  | { kind: 'local' }
  | { kind: 'shared'; tokenId: string }
  | { kind: 'own'; tokenId: string; droneName: string };

export interface DroneAccessPolicy {
  /** Whether shared drone tokens connect drones without a token of their own. */
  sharedTokens: boolean;
}

/** The credential a token is, or undefined when it is no (live) drone token. */
export async function droneCredential(db: Db, token: string, localToken?: string): Promise<DroneCredential | undefined> {
  if (localToken && secretsEqual(token, localToken)) return { kind: 'local' };
  if (!token || token.length > 512) return undefined;
  const row = await findActiveToken(db, hashToken(token));
  if (!row || row.kind !== 'drone') return undefined;
  return row.droneName ? { kind: 'own', tokenId: row.id, droneName: row.droneName } : { kind: 'shared', tokenId: row.id };
}

/** Why `credential` may not connect as `name`; undefined when it may. */
export async function identityRefusal(
  db: Db, credential: DroneCredential, name: string, policy: DroneAccessPolicy,
): Promise<string | undefined> {
  switch (credential.kind) {
    case 'local':
      return undefined;
    case 'own':
      return credential.droneName === name ? undefined : `this token belongs to drone "${credential.droneName}", not "${name}"`;
    case 'shared':
      if (!policy.sharedTokens) {
        return 'shared drone tokens are turned off on this queen (HIVE_DRONE_SHARED_TOKEN=false); ' +
          `connect with the drone's own token (hive drone-token create "${name}")`;
      }
      if (await findDroneOwnToken(db, name)) return `drone "${name}" has a token of its own; connect with it`;
      return undefined;
  }
}

/** The token id behind a credential (null for the local drone's process token). */
export const credentialTokenId = (c: DroneCredential): string | null => (c.kind === 'local' ? null : c.tokenId);
