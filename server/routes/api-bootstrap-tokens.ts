/**
 * `/api/tokens/bootstrap` (admins): the bootstrap admin and drone tokens — those of
 * `HIVE_ADMIN_TOKEN` / `HIVE_DRONE_TOKEN`, generated at first start, or rotated here.
 * `GET` lists them (never the secret); `POST /:kind/rotate` (kind `admin` or `drone`)
 * makes a new one, revokes the live ones of that kind in the same transaction and answers
 * the new token once (201) — it is never logged. Drones connected with a revoked drone
 * token are disconnected, as when a drone token is revoked: rotation exists to shut the
 * old secret out, so a drone that holds it must be given the new one. The local drone of
 * `hive start` has a process token of its own and is not touched.
 */
import { Hono } from 'hono';
import { generateToken, hashToken } from '../auth/tokens.ts';
import type { Db } from '../db/client.ts';
import { listBootstrapTokens, rotateBootstrapToken, type ApiToken } from '../db/tokens.ts';
import { ValidationError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import type { DroneHub } from '../scheduler/drone-hub.ts';

const iso = (d: Date | null) => (d ? d.toISOString() : null);

function bootstrapTokenView(t: ApiToken) {
  return {
    id: t.id,
    kind: t.kind,
    name: t.name,
    active: t.revokedAt === null,
    createdAt: iso(t.createdAt),
    lastUsedAt: iso(t.lastUsedAt),
    revokedAt: iso(t.revokedAt),
  };
}

export function bootstrapTokenRoutes(deps: { db: Db; hub: DroneHub; log: Logger }) {
  const { db, hub, log } = deps;
  const api = new Hono();

  api.get('/', async (c) => c.json({ tokens: (await listBootstrapTokens(db)).map(bootstrapTokenView) }));

  api.post('/:kind/rotate', async (c) => {
    const kind = c.req.param('kind');
    if (kind !== 'admin' && kind !== 'drone') throw new ValidationError(`kind: "admin" or "drone", not "${kind}"`);
    const token = generateToken(kind === 'admin' ? 'hive' : 'drone');
    const { row, revoked } = await rotateBootstrapToken(db, kind, hashToken(token));
    // Drones on this queen go at once; on other queens sharing the database, at their next check.
    const revokedIds = new Set(revoked.map((t) => t.id));
    const dropped = hub.all().filter((d) => d.tokenId !== null && revokedIds.has(d.tokenId));
    for (const drone of dropped) drone.link.close(4003, 'credential revoked');
    log.info({ kind, tokenId: row.id, revoked: [...revokedIds], disconnected: dropped.map((d) => d.name) }, 'bootstrap token rotated');
    return c.json({ ...bootstrapTokenView(row), token, revoked: revoked.length, disconnected: dropped.map((d) => d.name) }, 201);
  });

  return api;
}
