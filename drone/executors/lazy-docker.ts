/**
 * The Docker executor as the drone holds it from its start: dockerode and the executor
 * are loaded on the first job that runs in a container (most drones never load them;
 * docker/engine-api.ts says what that saves), then every job goes straight to them.
 */
import type { DockerExecutorOptions } from './docker.ts';
import { ExecutorError, type ExecSession, type Executor, type ExecutorJob, type ExecutorPreparation } from './executor.ts';

export type LazyDockerOptions = Omit<DockerExecutorOptions, 'docker' | 'logins'> & {
  dockerHost?: string;
  /** The Docker client configuration with the drone host's registry logins (registry-auth.ts). */
  dockerConfigFile?: string;
};

export class LazyDockerExecutor implements Executor {
  readonly kind = 'docker';
  #loaded?: Promise<Executor>;

  constructor(private readonly options: LazyDockerOptions) {}

  async start(job: ExecutorJob): Promise<ExecSession> {
    this.#loaded ??= this.#load();
    return (await this.#loaded).start(job);
  }

  prepare(job: ExecutorJob): ExecutorPreparation {
    this.#loaded ??= this.#load();
    const loaded = this.#loaded;
    const preparation = loaded.then((executor) => executor.prepare?.(job));
    preparation.catch(() => {}); // reported by start
    return {
      start: async (actual) => {
        const ready = await preparation;
        return ready ? ready.start(actual) : (await loaded).start(actual);
      },
      discard: async () => {
        await (await preparation.catch(() => undefined))?.discard();
      },
    };
  }

  async #load(): Promise<Executor> {
    try {
      const [{ createDockerClient }, { DockerExecutor }, { DockerConfigLogins }] = await Promise.all([
        import('../docker/engine.ts'), import('./docker.ts'), import('../docker/registry-auth.ts'),
      ]);
      const { dockerHost, dockerConfigFile, ...rest } = this.options;
      const logins = dockerConfigFile === undefined ? undefined : new DockerConfigLogins(dockerConfigFile);
      return new DockerExecutor({ ...rest, docker: createDockerClient(dockerHost), ...(logins && { logins }) });
    } catch (err) {
      this.#loaded = undefined; // the next job tries again
      throw new ExecutorError(`could not load the Docker client: ${(err as Error).message}`, { cause: err });
    }
  }
}
