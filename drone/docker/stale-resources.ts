/**
 * Removes the containers and networks a previous run of this drone left behind — a drone
 * that crashed or was killed never got to its jobs' cleanup. Only resources labelled with
 * this drone's name are touched: several drones may share one engine (their names must
 * differ), and whatever runs there that is not Hive's is none of our business.
 */
import type Docker from 'dockerode';
import { LABEL_DRONE } from './labels.ts';
import { engineMessage, engineStatus } from './engine-error.ts';

export interface StaleRemoval {
  containers: string[];
  networks: string[];
  /** What could not be removed, with the engine's reason. */
  failures: string[];
}

export async function removeStaleResources(docker: Docker, droneName: string): Promise<StaleRemoval> {
  const filters = { label: [`${LABEL_DRONE}=${droneName}`] };
  const result: StaleRemoval = { containers: [], networks: [], failures: [] };
  const gone = (err: unknown) => engineStatus(err) === 404;

  const containers = await docker.listContainers({ all: true, filters });
  await Promise.all(containers.map(async (info) => {
    const name = info.Names?.[0]?.replace(/^\//, '') ?? info.Id;
    try {
      await docker.getContainer(info.Id).remove({ force: true, v: true });
      result.containers.push(name);
    } catch (err) {
      if (!gone(err)) result.failures.push(`container ${name}: ${engineMessage(err)}`);
    }
  }));
  // After the containers: a network with endpoints cannot be removed.
  const networks = await docker.listNetworks({ filters });
  for (const info of networks) {
    try {
      await docker.getNetwork(info.Id).remove();
      result.networks.push(info.Name);
    } catch (err) {
      if (!gone(err)) result.failures.push(`network ${info.Name}: ${engineMessage(err)}`);
    }
  }
  return result;
}
