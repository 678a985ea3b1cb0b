/**
 * Prepares the drone's executors at start: the process executor always; the Docker one
 * when the mode allows it and an engine answers — then the drone also reports the
 * `docker` label, and containers and networks a previous run of this drone left behind
 * are removed. With `--executor docker` an engine that does not answer is fatal: better
 * a drone that does not start than one that errors every job. The Docker client itself is
 * loaded on the first job that runs in a container (lazy-docker.ts).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { DroneConfig } from '../config.ts';
import { engineAddress } from '../docker/engine-address.ts';
import { pingEngine } from '../docker/engine-ping.ts';
import { removeStaleResources } from '../docker/stale-resources.ts';
import type { Logger } from '../logger.ts';
import { executorChooser } from './choose.ts';
import type { ChooseExecutor } from './choose.ts';
import { LazyDockerExecutor } from './lazy-docker.ts';
import { DOCKER_LABEL } from '../../common/drone-labels.ts';
import { ProcessExecutor } from './process.ts';
import { parkedPoolFor } from './parked-guards.ts';
import { killRecordedGroups, PROCESS_GROUPS_FILE, ProcessGroupRecord } from './process-group-record.ts';

export { DOCKER_LABEL } from '../../common/drone-labels.ts';

export interface DroneExecutors {
  choose: ChooseExecutor;
  /** The configured labels, plus `docker` when jobs can run in Docker here. */
  labels: string[];
}

export class EngineUnavailableError extends Error {
  override name = 'EngineUnavailableError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

export async function setupExecutors(config: DroneConfig, logger: Logger): Promise<DroneExecutors> {
  const cacheRoot = join(config.dataDir, 'cache');
  const groupsFile = join(config.dataDir, PROCESS_GROUPS_FILE);
  // Before any job, and before the drone empties work/: builds an earlier, killed run left
  // would write into the workspaces of this run's jobs.
  try {
    const killed = killRecordedGroups(groupsFile);
    if (killed.length) logger.warn({ processGroups: killed }, 'killed build processes an earlier run of this drone left running');
  } catch (err) {
    logger.warn({ err: (err as Error).message }, 'could not end the build processes an earlier run left');
  }
  // The record's first write comes with the parked guards, before the drone makes its dirs.
  mkdirSync(config.dataDir, { recursive: true });
  const groupRecord = new ProcessGroupRecord(groupsFile, (err) => logger.warn({ err: err.message, file: groupsFile }, 'could not record build process groups'));
  // A parked guard per slot (parked-guards.ts): a slot's next command need not wait for a process start.
  const processExecutor = new ProcessExecutor({ hostEnv: config.hostEnv, cacheRoot, groupRecord, ...parkedPoolFor(config.capacity) });
  const mode = config.executor ?? 'auto';
  if (mode === 'process') {
    return { choose: executorChooser(mode, processExecutor, undefined), labels: config.labels };
  }

  const engine = engineAddress(config.dockerHost);
  const ping = await pingEngine(engine);
  if (!ping.ok) {
    if (mode === 'docker') throw new EngineUnavailableError(`--executor docker, but no Docker engine answers: ${ping.reason}`);
    logger.info({ reason: ping.reason }, 'no Docker engine: every job runs as plain processes');
    return { choose: executorChooser(mode, processExecutor, undefined), labels: config.labels };
  }
  logger.info({ version: ping.version, api: ping.apiVersion }, 'Docker engine found: jobs with an image run in containers');

  try {
    const removed = await removeStaleResources(engine, config.name);
    if (removed.containers.length || removed.networks.length) logger.warn(removed, 'removed containers and networks an earlier run of this drone left behind');
    if (removed.failures.length) logger.warn({ failures: removed.failures }, 'could not remove some stale Docker resources');
  } catch (err) {
    // Leftovers cost disk and memory, not correctness: the drone still starts.
    logger.warn({ err: (err as Error).message }, 'could not look for stale Docker resources');
  }

  const dockerExecutor = new LazyDockerExecutor({ dockerHost: config.dockerHost, dockerConfigFile: config.dockerConfigFile, droneName: config.name, cacheRoot, logger });
  const labels = config.labels.includes(DOCKER_LABEL) ? config.labels : [...config.labels, DOCKER_LABEL];
  return { choose: executorChooser(mode, processExecutor, dockerExecutor), labels };
}
