/**
 * Whether a drone token may fetch the uploaded files of a job on the drone `droneName`:
 * the same rule as for the drone's socket (drone-credentials.ts) — a drone's own token
 * speaks for that drone only, a shared token for drones without one of their own (when
 * the queen allows shared tokens), the local drone's process token for it. The route adds
 * the job's lease on top (routes/drone-files.ts).
 */
import type { Db } from '../db/client.ts';
import type { DroneFileAccess } from '../routes/drone-files.ts';
import { droneCredential, identityRefusal, type DroneAccessPolicy } from './drone-credentials.ts';

export function droneFileAccess(db: Db, policy: DroneAccessPolicy, localToken?: string): DroneFileAccess {
  return async (token, droneName) => {
    const credential = await droneCredential(db, token, localToken);
    if (!credential) return { allowed: false, status: 401, reason: 'not a valid drone token' };
    if (droneName === null) return { allowed: false, status: 403, reason: 'the job is on no drone' };
    const refusal = await identityRefusal(db, credential, droneName, policy);
    return refusal ? { allowed: false, status: 403, reason: refusal } : { allowed: true };
  };
}
