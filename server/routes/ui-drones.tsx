/** The drones page (every queen's drones) and its actions: drain, resume, disconnect. */
import type { Hono } from 'hono';
import { DronesPage, DronesTable, type DroneListItem } from '../../web/pages/drones.tsx';
import type { Db } from '../db/client.ts';
import { NotFoundError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import type { Fleet } from '../scheduler/fleet.ts';
import { uuid } from './api-schemas.ts';
import { html, pageContext, type UiEnv } from './ui-render.tsx';
import { requireAdmin, requireSession } from './ui-session.ts';

export { DISCONNECTED_BY_OPERATOR } from '../live/drone-control-relay.ts';

export function registerDroneRoutes(ui: Hono<UiEnv>, deps: { db: Db; fleet: Fleet; log: Logger }) {
  const { db, fleet } = deps;
  const auth = requireSession(db);
  const admins = requireAdmin('drain, resume or disconnect drones');

  const droneList = async (): Promise<DroneListItem[]> => (await fleet.list()).map((d) => ({
    row: d.row,
    lastSeenAt: d.lastSeenAt,
    live: d.connected ? { running: d.running, jobs: d.jobs } : undefined,
    queen: d.queen && { address: d.queen.address, live: d.queen.live, self: d.queen.self },
  }));

  const droneId = (id: string | undefined) => {
    if (!id || !uuid.safeParse(id).success) throw new NotFoundError('No such drone');
    return id;
  };

  ui.get('/drones', auth, async (c) => html(c, <DronesPage ctx={await pageContext(c)} drones={await droneList()} />));
  ui.get('/fragments/drones', auth, async (c) => html(c, <DronesTable ctx={await pageContext(c)} drones={await droneList()} />, 200, false));

  for (const [action, draining] of [['drain', true], ['resume', false]] as const) {
    ui.post(`/drones/:id/${action}`, auth, admins, async (c) => {
      const row = await fleet.setDraining(droneId(c.req.param('id')), draining, c.get('session')!.user.username);
      if (!row) throw new NotFoundError('No such drone');
      return c.redirect('/drones', 303);
    });
  }

  // A drone connected to another queen is disconnected by that queen, asked through the relay.
  ui.post('/drones/:id/disconnect', auth, admins, async (c) => {
    await fleet.disconnect(droneId(c.req.param('id')), c.get('session')!.user.username);
    return c.redirect('/drones', 303);
  });
}
