/** `GET /api/queue`: queued jobs in dispatch order, each with its effective priority and why it waits. */
import { Hono } from 'hono';
import { z } from 'zod';
import { ValidationError } from '../errors.ts';
import { describeZodError } from '../jobs/repo-config.ts';
import type { QueueView } from '../scheduler/queue-view.ts';
import { jobSummaryView } from './json-views.ts';

const queueQuery = z.object({ limit: z.coerce.number().int().min(1).max(1000).default(200) });

export function queueRoutes(queue: QueueView) {
  const routes = new Hono();
  routes.get('/', async (c) => {
    const query = queueQuery.safeParse(c.req.query());
    if (!query.success) throw new ValidationError(describeZodError(query.error));
    const entries = await queue.list(query.data.limit);
    return c.json({
      jobs: entries.map((e) => ({
        ...jobSummaryView(e.job),
        position: e.position,
        effectivePriority: e.effectivePriority,
        waitingFor: e.reason.text,
        waitKind: e.reason.kind,
      })),
    });
  });
  return routes;
}
