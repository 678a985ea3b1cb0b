/**
 * A project's schedules through the API, beside `schedules` in the project itself:
 * `GET /api/projects/:id/schedules` lists them with their next firing, and
 * `POST /api/projects/:id/schedules/:name/run` fires one now (anyone who may run builds;
 * the job's trigger names the schedule and the user). Schedules are changed with the
 * project (`PATCH /api/projects/:id {"schedules": […]}`).
 */
import { Hono } from 'hono';
import type { Db } from '../db/client.ts';
import { findProject } from '../db/projects.ts';
import { mustExist, NotFoundError } from '../errors.ts';
import type { JobControl } from '../jobs/job-control.ts';
import { fireSchedule } from '../schedules/fire-schedule.ts';
import type { Schedule } from '../schedules/schedule.ts';
import { scheduleView } from '../schedules/schedule-view.ts';
import type { AuthVariables } from './auth-middleware.ts';
import { jobSummaryView } from './json-views.ts';
import { idParam } from './request-input.ts';

export function scheduleRoutes(deps: { db: Db; control: JobControl }) {
  const routes = new Hono<{ Variables: AuthVariables }>();

  routes.get('/:id/schedules', async (c) => {
    const id = idParam(c, 'Project');
    const project = mustExist(await findProject(deps.db, id), 'Project', id);
    const now = new Date();
    return c.json({ schedules: (project.schedules as Schedule[]).map((s) => scheduleView(s, now)) });
  });

  routes.post('/:id/schedules/:name/run', async (c) => {
    const id = idParam(c, 'Project');
    const project = mustExist(await findProject(deps.db, id), 'Project', id);
    const name = c.req.param('name');
    const schedule = (project.schedules as Schedule[]).find((s) => s.name === name);
    if (!schedule) throw new NotFoundError(`Project ${project.name} has no schedule named "${name.slice(0, 100)}"`);
    // Also when disabled: running it by hand is what a disabled schedule is still good for.
    const job = await fireSchedule(deps.control, project, schedule, c.get('actor'));
    return c.json(jobSummaryView(job), 201);
  });

  return routes;
}
