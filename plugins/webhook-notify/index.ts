/** `webhook-notify`: POSTs a JSON summary of each finished job to a URL. */
import { z } from 'zod';
import { definePlugin } from '../api.ts';
import { FINAL_STATUSES } from '../../common/protocol/index.ts';

export default definePlugin({
  name: 'webhook-notify',
  version: '1.0.0',
  description: 'Sends a JSON summary of every finished job to a URL (chat bots, dashboards).',
  configSchema: z.strictObject({
    // Secret (write-only in the API and pages): such URLs often carry a token (chat webhooks).
    url: z.url({ protocol: /^https?$/ }).describe('Where the JSON report is POSTed').meta({ secret: true }),
    /** Only jobs ending in these statuses are reported. */
    on: z.array(z.enum(FINAL_STATUSES)).default(['passed', 'failed', 'errored', 'timed_out']).describe('Builds ending in these statuses are reported'),
    headers: z.record(z.string(), z.string()).default({}).describe('Extra request headers, e.g. Authorization=Bearer …').meta({ secret: true }),
  }),
  hookTimeoutMs: 10_000,
  hooks: {
    'job:done': async ({ config, job, project, log }) => {
      if (!(config.on as string[]).includes(job.status)) return;
      const res = await fetch(config.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'user-agent': 'hive-webhook-notify', ...config.headers },
        body: JSON.stringify({
          project: { id: project.id, name: project.name },
          job: {
            id: job.id, number: job.number, type: job.type, status: job.status, message: job.message ?? null,
            ref: job.ref, url: job.url, startedAt: job.startedAt, finishedAt: job.finishedAt, durationMs: job.durationMs,
            trigger: job.trigger,
          },
        }),
        signal: AbortSignal.timeout(8000),
      });
      if (!res.ok) throw new Error(`${config.url} answered ${res.status}`);
      log.info('notified', { status: res.status });
    },
  },
});
