/**
 * `/api/drone-tokens` (admins): drone credentials. `POST {drone}` makes a drone's own
 * token, which connects that drone name only (201 `{id, droneName, token, …}`, the token
 * shown once; 409 when the drone has a live one — revoke it first); `POST {shared: true,
 * name}` a shared one (connects drones without their own token, see
 * server/auth/drone-credentials.ts); `GET` lists every drone token, bootstrap ones
 * included, never the secret; `DELETE /:id` revokes one and disconnects the drones
 * connected with it (204).
 */
import { Hono } from 'hono';
import { z } from 'zod';
import { MAX_DRONE_NAME_CHARS } from '../../common/protocol/index.ts';
import { generateToken, hashToken } from '../auth/tokens.ts';
import type { Db } from '../db/client.ts';
import { findDroneOwnToken, insertToken, isBootstrapTokenName, listDroneTokens, revokeDroneToken, type ApiToken } from '../db/tokens.ts';
import { ConflictError, NotFoundError, ValidationError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import type { DroneHub } from '../scheduler/drone-hub.ts';
import { idParam, readBody } from './request-input.ts';

const createBody = z.union([
  z.strictObject({ drone: z.string().trim().min(1).max(MAX_DRONE_NAME_CHARS) }),
  z.strictObject({ shared: z.literal(true), name: z.string().trim().min(1).max(100) }),
]);

const iso = (d: Date | null) => (d ? d.toISOString() : null);

function droneTokenView(t: ApiToken, hub: DroneHub) {
  return {
    id: t.id,
    name: t.name,
    /** The drone it connects as; null for a shared token. */
    droneName: t.droneName,
    shared: t.droneName === null,
    /** Drones connected to this queen with it now. */
    connected: hub.all().filter((d) => d.tokenId === t.id).map((d) => d.name),
    createdAt: iso(t.createdAt),
    lastUsedAt: iso(t.lastUsedAt),
    revokedAt: iso(t.revokedAt),
  };
}

export function droneTokenRoutes(deps: { db: Db; hub: DroneHub; log: Logger }) {
  const { db, hub, log } = deps;
  const api = new Hono();

  api.get('/', async (c) => c.json({ tokens: (await listDroneTokens(db)).map((t) => droneTokenView(t, hub)) }));

  api.post('/', async (c) => {
    const body = await readBody(c, createBody);
    const token = generateToken('drone');
    const droneName = 'drone' in body ? body.drone : undefined;
    // Those names mark bootstrap tokens, which rotation and HIVE_DRONE_TOKEN replace.
    if (!droneName && isBootstrapTokenName((body as { name: string }).name)) {
      throw new ValidationError(`name: "${(body as { name: string }).name}" is reserved for bootstrap tokens`);
    }
    if (droneName && (await findDroneOwnToken(db, droneName))) {
      throw new ConflictError(`Drone "${droneName}" already has a token; revoke it first to issue a new one`);
    }
    const row = await insertToken(db, {
      name: droneName ? `drone ${droneName}` : (body as { name: string }).name,
      kind: 'drone',
      tokenHash: hashToken(token),
      droneName,
    });
    // Two admins at once: the unique index on live drone names lets one of them win.
    if (!row) throw new ConflictError(`Drone "${droneName}" already has a token; revoke it first to issue a new one`);
    log.info({ tokenId: row.id, drone: droneName ?? null }, droneName ? 'drone token created' : 'shared drone token created');
    return c.json({ ...droneTokenView(row, hub), token }, 201);
  });

  api.delete('/:id', async (c) => {
    const id = idParam(c, 'Drone token');
    const revoked = await revokeDroneToken(db, id);
    if (!revoked) throw new NotFoundError(`Drone token ${id} does not exist or is already revoked`);
    // Drones on this queen go at once; on other queens sharing the database, at their next check.
    for (const drone of hub.all().filter((d) => d.tokenId === id)) drone.link.close(4003, 'credential revoked');
    log.info({ tokenId: id, drone: revoked.droneName }, 'drone token revoked');
    return c.body(null, 204);
  });

  return api;
}
