/**
 * Why a queued job waits — a pure function over what the dispatcher knows (the connected
 * drones with their free slots, the project's running count), so each answer is
 * unit-tested and `GET /api/queue`, the CLI and the build page say the same thing.
 */
import { isEligible, selectDrone, type DroneCandidate, type JobRequirements } from './select-drone.ts';

export interface WaitingJob {
  /** Null until the spec resolver has read the commit's `.hive.yml`. */
  requires: JobRequirements | null;
  maxConcurrent: number | null;
  /** The project's jobs assigned or running now. */
  projectActive: number;
}

/** `ready`: a free eligible drone is there — it is assigned in the next round (or just was). */
export type WaitReason =
  | { kind: 'resolving'; text: string }
  | { kind: 'project-limit'; text: string }
  | { kind: 'no-drone'; text: string }
  | { kind: 'draining'; text: string }
  | { kind: 'full'; text: string }
  | { kind: 'ready'; text: string; drone: DroneCandidate };

const list = (words: string[]) => words.join(', ');
const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

export function waitReason(job: WaitingJob, drones: readonly DroneCandidate[]): WaitReason {
  if (!job.requires) return { kind: 'resolving', text: "resolving: reading the commit's .hive.yml" };
  if (job.maxConcurrent != null && job.projectActive >= job.maxConcurrent) {
    return { kind: 'project-limit', text: `project limit reached: ${job.projectActive} of ${job.maxConcurrent} running` };
  }
  const needs = job.requires;
  const live = drones.filter((d) => d.capacity > 0);
  if (live.length === 0) return { kind: 'no-drone', text: 'no drone is connected' };
  const missing = (wanted: readonly string[], has: (d: DroneCandidate) => readonly string[]) =>
    wanted.filter((w) => !live.some((d) => has(d).includes(w)));
  const labels = missing(needs.labels, (d) => d.labels);
  if (labels.length > 0) {
    return { kind: 'no-drone', text: `no connected drone has ${labels.length === 1 ? 'label' : 'labels'} ${list(labels)}` };
  }
  const plugins = missing(needs.plugins, (d) => d.plugins);
  if (plugins.length > 0) {
    return { kind: 'no-drone', text: `no connected drone has ${plugins.length === 1 ? 'plugin' : 'plugins'} ${list(plugins)}` };
  }
  const fits = live.filter((d) => isEligible({ ...d, draining: false }, needs));
  if (fits.length === 0) {
    const all = [...needs.labels.map((l) => `label ${l}`), ...needs.plugins.map((p) => `plugin ${p}`)];
    return { kind: 'no-drone', text: `no connected drone has all of ${list(all)}` };
  }
  const eligible = fits.filter((d) => !d.draining);
  if (eligible.length === 0) return { kind: 'draining', text: `every eligible drone is draining (${list(fits.map((d) => d.name))})` };
  const free = selectDrone(eligible, needs);
  if (free) return { kind: 'ready', text: `being assigned to ${free.name}`, drone: free };
  const slots = eligible.reduce((n, d) => n + d.capacity, 0);
  return { kind: 'full', text: `every eligible drone is full (${plural(eligible.length, 'drone')}, ${plural(slots, 'slot')})` };
}
