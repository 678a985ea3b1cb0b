/**
 * Which drone gets a job — a pure function, so every rule is unit-tested.
 *
 * Eligible: connected, not draining, its labels cover the job's labels and its plugins
 * cover the job's plugins. Among eligible drones with a free slot: the fastest (`speed`),
 * ties broken by the lowest load relative to capacity, then by name for determinism.
 * When every eligible drone is full the answer is `undefined`: the job stays queued and
 * goes to the first eligible drone that frees a slot. It is never pinned to a busy drone,
 * so one long job cannot hold up the queue behind it (no head-of-line blocking).
 */
export interface DroneCandidate {
  id: string;
  name: string;
  labels: readonly string[];
  plugins: readonly string[];
  capacity: number;
  running: number;
  speed: number;
  draining: boolean;
}

export interface JobRequirements {
  labels: readonly string[];
  plugins: readonly string[];
}

export function isEligible(drone: DroneCandidate, needs: JobRequirements): boolean {
  return (
    !drone.draining &&
    drone.capacity > 0 &&
    needs.labels.every((l) => drone.labels.includes(l)) &&
    needs.plugins.every((p) => drone.plugins.includes(p))
  );
}

export const hasFreeSlot = (drone: DroneCandidate) => drone.running < drone.capacity;

export function selectDrone(
  drones: readonly DroneCandidate[],
  needs: JobRequirements,
): DroneCandidate | undefined {
  let best: DroneCandidate | undefined;
  for (const d of drones) {
    if (!hasFreeSlot(d) || !isEligible(d, needs)) continue;
    if (!best || compare(d, best) < 0) best = d;
  }
  return best;
}

/** Negative when a is the better choice. */
function compare(a: DroneCandidate, b: DroneCandidate): number {
  if (a.speed !== b.speed) return b.speed - a.speed;
  const loadA = a.running / a.capacity;
  const loadB = b.running / b.capacity;
  if (loadA !== loadB) return loadA - loadB;
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}
