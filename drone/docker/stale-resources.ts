/**
 * Removes the containers and networks a previous run of this drone left behind — a drone
 * that crashed or was killed never got to its jobs' cleanup. Only resources labelled with
 * this drone's name are touched: several drones may share one engine (their names must
 * differ), and whatever runs there that is not Hive's is none of our business. Plain
 * engine API calls (engine-api.ts), as this runs at every drone's start.
 */
import type { EngineAddress } from './engine-address.ts';
import { engineRequest, filtersQuery } from './engine-api.ts';
import { engineMessage, engineStatus } from './engine-error.ts';
import { LABEL_DRONE } from './labels.ts';

export interface StaleRemoval {
  containers: string[];
  networks: string[];
  /** What could not be removed, with the engine's reason. */
  failures: string[];
}

export async function removeStaleResources(engine: EngineAddress, droneName: string): Promise<StaleRemoval> {
  const filters = filtersQuery({ label: [`${LABEL_DRONE}=${droneName}`] });
  const result: StaleRemoval = { containers: [], networks: [], failures: [] };
  const gone = (err: unknown) => engineStatus(err) === 404;

  const containers = await engineRequest<{ Id: string; Names?: string[] }[]>(engine, 'GET', `/containers/json?all=1&${filters}`);
  await Promise.all(containers.map(async (info) => {
    const name = info.Names?.[0]?.replace(/^\//, '') ?? info.Id;
    try {
      await engineRequest(engine, 'DELETE', `/containers/${encodeURIComponent(info.Id)}?force=1&v=1`);
      result.containers.push(name);
    } catch (err) {
      if (!gone(err)) result.failures.push(`container ${name}: ${engineMessage(err)}`);
    }
  }));
  // After the containers: a network with endpoints cannot be removed.
  const networks = await engineRequest<{ Id: string; Name: string }[]>(engine, 'GET', `/networks?${filters}`);
  for (const info of networks) {
    try {
      await engineRequest(engine, 'DELETE', `/networks/${encodeURIComponent(info.Id)}`);
      result.networks.push(info.Name);
    } catch (err) {
      if (!gone(err)) result.failures.push(`network ${info.Name}: ${engineMessage(err)}`);
    }
  }
  return result;
}
