/**
 * The Docker engine for tests (started, with its images, by scripts/docker-test-engine.sh).
 * Tests that need it ask `dockerSkipReason()` — computed from a real ping — and are
 * skipped with that reason when no engine answers or an image is missing:
 *
 *   const skip = await dockerSkipReason();
 *   describe('in Docker', { skip }, () => { … });
 */
import type Docker from 'dockerode';
import { engineAddress } from '../../drone/docker/engine-address.ts';
import { createDockerClient } from '../../drone/docker/engine.ts';
import { pingEngine } from '../../drone/docker/engine-ping.ts';
import { hasImage } from '../../drone/docker/images.ts';
import { LABEL_DRONE, LABEL_JOB } from '../../drone/docker/labels.ts';
import { removeStaleResources } from '../../drone/docker/stale-resources.ts';

export const BUSYBOX_IMAGE = 'hive-test/busybox:latest';
export const NODE_IMAGE = 'hive-test/node:20';

export const testDocker: Docker = createDockerClient(process.env.DOCKER_HOST);
const testEngine = engineAddress(process.env.DOCKER_HOST);

/** Undefined when the engine answers and has `images`; else why Docker tests cannot run. */
export async function dockerSkipReason(images: string[] = [BUSYBOX_IMAGE]): Promise<string | undefined> {
  const ping = await pingEngine(testEngine, 2_000);
  if (!ping.ok) return `no Docker engine: ${ping.reason} (start one with scripts/docker-test-engine.sh)`;
  for (const image of images) {
    const present = await hasImage(testDocker, image).catch(() => false);
    if (!present) return `no image ${image} on the engine (build it with scripts/docker-test-engine.sh)`;
  }
  return undefined;
}

export interface LabelledResources {
  containers: string[];
  networks: string[];
}

/** Containers (any state) and networks carrying a Hive label, e.g. `{ job: 'job-1' }`. */
export async function listLabelled(by: { job?: string; drone?: string }): Promise<LabelledResources> {
  const label = [
    ...(by.job !== undefined ? [`${LABEL_JOB}=${by.job}`] : []),
    ...(by.drone !== undefined ? [`${LABEL_DRONE}=${by.drone}`] : []),
  ];
  const filters = { label };
  const containers = await testDocker.listContainers({ all: true, filters });
  const networks = await testDocker.listNetworks({ filters });
  return { containers: containers.map((c) => c.Names[0] ?? c.Id), networks: networks.map((n) => n.Name) };
}

/** Removes whatever a test left with a drone's label (a failed assertion must not leak containers). */
export async function removeLabelled(drone: string): Promise<void> {
  await removeStaleResources(testEngine, drone);
}

/** Calls `onEvent` with each event of a stream from the engine's `/events` (JSON lines, split anywhere between chunks). */
export function onEngineEvents<E>(stream: NodeJS.ReadableStream, onEvent: (e: E) => void): void {
  let buffered = '';
  stream.on('data', (chunk: Buffer) => {
    buffered += chunk.toString('utf8');
    let at: number;
    while ((at = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, at).trim();
      buffered = buffered.slice(at + 1);
      if (line) onEvent(JSON.parse(line) as E);
    }
  });
}

export interface EngineEvent { Type: string; Action: string; Actor?: { ID?: string; Attributes?: Record<string, string> } }

/** The engine's container and network events from now on, kept for the test to wait on. */
export async function engineEvents() {
  const seen: EngineEvent[] = [];
  const waiters = new Set<() => void>();
  const stream = await testDocker.getEvents({ filters: { type: ['container', 'network'] } }) as NodeJS.ReadableStream & { destroy(): void };
  onEngineEvents<EngineEvent>(stream, (e) => {
    seen.push(e);
    for (const wake of waiters) wake();
  });
  return {
    seen,
    /** Resolves once `test` holds for the events seen so far. */
    until(test: (events: EngineEvent[]) => boolean, timeoutMs = 60_000): Promise<void> {
      if (test(seen)) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`engine events never matched; saw ${seen.map((e) => `${e.Type} ${e.Action}`).join(', ')}`));
        }, timeoutMs);
        const check = () => {
          if (!test(seen)) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve();
        };
        waiters.add(check);
      });
    },
    close: () => stream.destroy(),
  };
}

export const ofJob = (jobId: string) => (e: EngineEvent) => e.Actor?.Attributes?.['hive.job'] === jobId || (e.Actor?.Attributes?.name ?? '').startsWith(`hive-${jobId}-`);

/** Every container created for the job (at least one) has been destroyed. */
export const containersGone = (jobId: string) => (seen: EngineEvent[]) => {
  const mine = seen.filter((e) => ofJob(jobId)(e) && e.Type === 'container');
  const created = mine.filter((e) => e.Action === 'create').map((e) => e.Actor?.ID);
  const destroyed = new Set(mine.filter((e) => e.Action === 'destroy').map((e) => e.Actor?.ID));
  return created.length > 0 && created.every((id) => destroyed.has(id));
};
