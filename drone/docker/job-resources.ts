/**
 * The engine objects of one job — its container, service containers and network — kept
 * so they can all be removed at the end, whatever happened. Removal forces containers
 * down (and their anonymous volumes, e.g. a database image's data volume) before the
 * network they are attached to; what is already gone counts as removed. A removal that
 * fails is logged and left to the stale-resource sweep at the drone's next start.
 */
import type Docker from 'dockerode';
import type { Logger } from '../logger.ts';
import { engineMessage, engineStatus } from './engine-error.ts';

export class JobResources {
  readonly #containers: Docker.Container[] = [];
  #network: Docker.Network | undefined;
  #removal: Promise<void> | undefined;

  readonly #log: Logger | undefined;

  constructor(log: Logger | undefined) {
    this.#log = log;
  }

  addContainer(container: Docker.Container): void {
    this.#containers.push(container);
  }

  /** Removes one container at once (one made for a workspace the job did not get). */
  async removeContainer(container: Docker.Container): Promise<void> {
    const at = this.#containers.indexOf(container);
    if (at >= 0) this.#containers.splice(at, 1);
    await container.remove({ force: true, v: true }).catch((err: unknown) => this.#failed('container', container.id, err));
  }

  setNetwork(network: Docker.Network): void {
    this.#network = network;
  }

  /** Idempotent; never rejects. */
  removeAll(): Promise<void> {
    this.#removal ??= this.#remove();
    return this.#removal;
  }

  async #remove(): Promise<void> {
    await Promise.all(this.#containers.map((c) =>
      c.remove({ force: true, v: true }).catch((err: unknown) => this.#failed('container', c.id, err))));
    await this.#network?.remove().catch((err: unknown) => this.#failed('network', this.#network!.id, err));
  }

  #failed(kind: string, id: string, err: unknown): void {
    const status = engineStatus(err);
    // 404: gone already. 409 "removal already in progress": someone else is on it.
    if (status === 404 || (status === 409 && /already in progress/i.test(engineMessage(err)))) return;
    this.#log?.warn({ [kind]: id, err: engineMessage(err) }, `could not remove a job ${kind}; the next drone start removes it`);
  }
}
