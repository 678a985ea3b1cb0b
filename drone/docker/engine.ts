/**
 * The connection to a Docker engine: a dockerode client for the Docker executor (loaded
 * only when a job runs in a container: engine-api.ts says why), and whether the engine
 * answers (plain HTTP, at start).
 */
import Docker from 'dockerode';
import { engineAddress } from './engine-address.ts';

/** A client for the engine at `host` (engine-address.ts lists the forms). */
export function createDockerClient(host?: string): Docker {
  return new Docker(engineAddress(host));
}
