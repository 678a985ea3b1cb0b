/**
 * `/api/drones` and `/api/queens`: the fleet of every queen sharing the database (each
 * drone with the queen it is connected to), and drain, resume and disconnect of any of
 * its drones from any queen (fleet.ts). Listing is for everyone signed in; acting on a
 * drone is for admins.
 */
import { Hono } from 'hono';
import type { Db } from '../db/client.ts';
import { NotFoundError } from '../errors.ts';
import { listQueens } from '../db/queens.ts';
import type { Fleet } from '../scheduler/fleet.ts';
import { adminOnly, type AuthVariables } from './auth-middleware.ts';
import { droneView, queenView } from './json-views.ts';
import { idParam } from './request-input.ts';

export function droneRoutes(deps: { fleet: Fleet; db: Db }) {
  const { fleet } = deps;
  const api = new Hono<{ Variables: AuthVariables }>();

  api.get('/drones', async (c) => c.json({ drones: (await fleet.list()).map(droneView) }));

  api.get('/queens', async (c) => {
    const queens = await listQueens(deps.db);
    const self = queens.find((q) => q.id === fleet.queenId);
    return c.json({ self: self && queenView(self, fleet.queenId), queens: queens.map((q) => queenView(q, fleet.queenId)) });
  });

  // Drained drones stay connected and finish their jobs; the state is kept across reconnects.
  for (const [action, draining] of [['drain', true], ['resume', false]] as const) {
    api.post(`/drones/:id/${action}`, adminOnly('drain and resume drones'), async (c) => {
      const id = idParam(c, 'Drone');
      const row = await fleet.setDraining(id, draining, c.get('actor'));
      if (!row) throw new NotFoundError(`Drone ${id} does not exist`);
      return c.json({ id, name: row.name, draining: row.draining });
    });
  }

  // The drone reconnects by itself unless stopped (to this queen or another it knows).
  api.post('/drones/:id/disconnect', adminOnly('disconnect drones'), async (c) => {
    const id = idParam(c, 'Drone');
    const how = await fleet.disconnect(id, c.get('actor'));
    return c.json({ id, disconnected: how });
  });

  return api;
}
