/** The drones page and its two actions. */
import type { Hono } from 'hono';
import { DronesPage, DronesTable, type DroneListItem } from '../../web/pages/drones.tsx';
import type { Db } from '../db/client.ts';
import { listDrones } from '../db/drones.ts';
import { findJob } from '../db/jobs.ts';
import { NotFoundError } from '../errors.ts';
import type { DroneHub } from '../scheduler/drone-hub.ts';
import type { Logger } from '../logger.ts';
import { setDraining } from '../scheduler/drain-drone.ts';
import { uuid } from './api-schemas.ts';
import { html, pageContext, type UiEnv } from './ui-render.tsx';
import { requireAdmin, requireSession } from './ui-session.ts';

/** Close code a drone sees when an operator disconnects it (4000–4999 are for applications). */
export const DISCONNECTED_BY_OPERATOR = 4003;

export function registerDroneRoutes(ui: Hono<UiEnv>, deps: { db: Db; hub: DroneHub; log: Logger }) {
  const { db, hub } = deps;
  const auth = requireSession(db);
  const admins = requireAdmin('drain, resume or disconnect drones');

  const droneList = async (): Promise<DroneListItem[]> => {
    const rows = await listDrones(db);
    return Promise.all(rows.map(async (row) => {
      const live = hub.get(row.id);
      if (!live) return { row };
      const jobs = await Promise.all([...live.jobs].map(async (id) => {
        const job = await findJob(db, id);
        return { id, label: job ? `${job.spec?.projectName ?? 'build'} #${job.number}` : id.slice(0, 8) };
      }));
      return { row, live: { running: live.running, jobs } };
    }));
  };

  const connected = (id: string | undefined) => {
    const live = id && uuid.safeParse(id).success ? hub.get(id) : undefined;
    if (!live) throw new NotFoundError('That drone is not connected (any more)');
    return live;
  };

  ui.get('/drones', auth, async (c) => html(c, <DronesPage ctx={await pageContext(c)} drones={await droneList()} />));
  ui.get('/fragments/drones', auth, async (c) => html(c, <DronesTable ctx={await pageContext(c)} drones={await droneList()} />, 200, false));

  for (const [action, draining] of [['drain', true], ['resume', false]] as const) {
    ui.post(`/drones/:id/${action}`, auth, admins, async (c) => {
      const id = c.req.param('id');
      const row = id && uuid.safeParse(id).success ? await setDraining(deps, id, draining, c.get('session')!.user.username) : undefined;
      if (!row) throw new NotFoundError('No such drone');
      return c.redirect('/drones', 303);
    });
  }

  ui.post('/drones/:id/disconnect', auth, admins, async (c) => {
    const live = connected(c.req.param('id'));
    live.link.close(DISCONNECTED_BY_OPERATOR, `disconnected by ${c.get('session')!.user.username}`);
    return c.redirect('/drones', 303);
  });
}
