/**
 * Prometheus metrics (prom-client), served at `GET /metrics` with an API token. Counters
 * follow the live bus; gauges are read when scraped, so nothing polls in between.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Db } from './db/client.ts';
import { countJobsByStatus, type Job } from './db/jobs.ts';
import type { LiveBus } from './jobs/live-bus.ts';
import type { RetentionLoop } from './jobs/retention-loop.ts';
import { FINAL_STATUSES } from '../common/protocol/index.ts';
import type { DroneHub } from './scheduler/drone-hub.ts';

export function createMetrics(deps: { db: Db; bus: LiveBus; hub: DroneHub; retention?: RetentionLoop }): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'hive_process_' });

  new Gauge({
    name: 'hive_jobs',
    help: 'Jobs not yet finished, by status',
    labelNames: ['status'],
    registers: [registry],
    async collect() {
      const counts = await countJobsByStatus(deps.db);
      for (const status of ['queued', 'assigned', 'running']) this.set({ status }, counts[status] ?? 0);
    },
  });
  new Gauge({
    name: 'hive_drones_connected',
    help: 'Drones connected to this queen',
    registers: [registry],
    collect() {
      this.set(deps.hub.all().length);
    },
  });
  new Gauge({
    name: 'hive_drone_slots',
    help: 'Job slots of connected drones, by state',
    labelNames: ['state'],
    registers: [registry],
    collect() {
      const drones = deps.hub.all();
      const capacity = drones.reduce((n, d) => n + d.capacity, 0);
      const busy = drones.reduce((n, d) => n + d.running, 0);
      this.set({ state: 'busy' }, busy);
      this.set({ state: 'free' }, Math.max(0, capacity - busy));
    },
  });
  const finished = new Counter({ name: 'hive_jobs_finished_total', help: 'Jobs finished, by status', labelNames: ['status'], registers: [registry] });
  const duration = new Histogram({
    name: 'hive_job_duration_seconds',
    help: 'Run time of finished jobs (start to end)',
    buckets: [1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600],
    registers: [registry],
  });
  const waited = new Histogram({
    name: 'hive_job_queue_seconds',
    help: 'Time from trigger to assignment',
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 5, 30, 120, 600],
    registers: [registry],
  });
  const events = new Counter({ name: 'hive_job_events_total', help: 'Job events stored by this queen', registers: [registry] });

  const prunedLogs = new Counter({ name: 'hive_retention_job_logs_removed_total', help: 'Finished jobs whose log retention removed', registers: [registry] });
  const prunedChunks = new Counter({ name: 'hive_retention_log_chunks_deleted_total', help: 'Log chunk rows retention deleted', registers: [registry] });
  const prunedDeliveries = new Counter({ name: 'hive_retention_webhook_deliveries_deleted_total', help: 'Webhook delivery records retention deleted', registers: [registry] });
  const prunedUploads = new Counter({ name: 'hive_retention_uploaded_files_deleted_total', help: 'Files uploaded with builds that retention deleted', registers: [registry] });

  deps.retention?.on('pass', (r) => {
    prunedLogs.inc(r.jobs);
    prunedChunks.inc(r.chunks);
    prunedDeliveries.inc(r.deliveries);
    prunedUploads.inc(r.uploads);
  });
  deps.bus.on('job-events', (_jobId, batch) => events.inc(batch.length));
  deps.bus.on('job-status', (job: Job) => {
    if (job.status === 'assigned' && job.assignedAt) waited.observe((job.assignedAt.getTime() - job.createdAt.getTime()) / 1000);
    if (!(FINAL_STATUSES as readonly string[]).includes(job.status)) return;
    finished.inc({ status: job.status });
    if (job.startedAt && job.finishedAt) duration.observe((job.finishedAt.getTime() - job.startedAt.getTime()) / 1000);
  });
  return registry;
}
