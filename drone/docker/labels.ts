/**
 * Every container and network the drone creates carries these labels, so whatever a
 * crashed drone left behind can be found and removed at its next start, and a person
 * can see with `docker ps --filter label=hive.job` what belongs to which job.
 */
import { createHash, randomBytes } from 'node:crypto';

export const LABEL_JOB = 'hive.job';
export const LABEL_DRONE = 'hive.drone';
/** `job` (the container commands run in) or `service`. */
export const LABEL_ROLE = 'hive.role';

export type ResourceRole = 'job' | 'service' | 'network';

export function resourceLabels(jobId: string, droneName: string, role: ResourceRole): Record<string, string> {
  return { [LABEL_JOB]: jobId, [LABEL_DRONE]: droneName, [LABEL_ROLE]: role };
}

/**
 * A Docker object name for a job's resource: readable (`hive-<job>-<what>`) and unique,
 * since a job id may be run again (a re-queued job) while a removal is still pending.
 */
export function resourceName(jobId: string, what: string): string {
  const safe = (s: string) => s.replace(/[^A-Za-z0-9_.-]/g, '_');
  const job = /^[A-Za-z0-9_.-]{1,40}$/.test(jobId) ? jobId : `${safe(jobId).slice(0, 24)}-${createHash('sha256').update(jobId).digest('hex').slice(0, 8)}`;
  return `hive-${job}-${safe(what).slice(0, 40)}-${randomBytes(3).toString('hex')}`;
}
