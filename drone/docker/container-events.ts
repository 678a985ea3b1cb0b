/**
 * Watches one container's engine events for the two facts a command's exit status cannot
 * tell: that the kernel's OOM killer struck (`oom`), and that a given exec has ended
 * (`exec_die`). The engine emits the events of one container in order, and an `oom`
 * before the `exec_die` of the command it killed, so once a command's `exec_die` has been
 * seen, every OOM kill during that command has been counted.
 *
 * The subscription starts before the container does (no event is missed) and lives as
 * long as the job's session. If the event stream breaks, OOM detection degrades to
 * "unknown" (commands still get their exit codes).
 */
import type Docker from 'dockerode';

interface EngineEvent {
  Action?: string;
  status?: string;
  Actor?: { Attributes?: Record<string, string> };
}

export class ContainerEvents {
  #oomKills = 0;
  readonly #diedExecs = new Set<string>();
  readonly #waiters = new Map<string, () => void>();
  #ended = false;

  readonly #stream: NodeJS.ReadableStream & { destroy(): void };

  private constructor(stream: NodeJS.ReadableStream & { destroy(): void }) {
    this.#stream = stream;
    let buffered = '';
    stream.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('utf8');
      let at: number;
      while ((at = buffered.indexOf('\n')) >= 0) {
        this.#onLine(buffered.slice(0, at));
        buffered = buffered.slice(at + 1);
      }
    });
    const onEnd = () => {
      this.#ended = true;
      for (const wake of this.#waiters.values()) wake();
    };
    stream.on('end', onEnd);
    stream.on('close', onEnd);
    stream.on('error', onEnd);
  }

  /** Subscribes to the events of a container (by id) from now on. */
  static async watch(docker: Docker, containerId: string): Promise<ContainerEvents> {
    const stream = await docker.getEvents({
      filters: { type: ['container'], container: [containerId], event: ['oom', 'exec_die'] },
    });
    return new ContainerEvents(stream as NodeJS.ReadableStream & { destroy(): void });
  }

  /** OOM kills in the container so far. */
  get oomCount(): number {
    return this.#oomKills;
  }

  /**
   * Resolves once the engine has reported the end of exec `execId` (true), or after
   * `timeoutMs` or when the event stream is gone (false).
   */
  waitForExecEnd(execId: string, timeoutMs: number): Promise<boolean> {
    if (this.#diedExecs.has(execId)) return Promise.resolve(true);
    if (this.#ended) return Promise.resolve(false);
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#waiters.delete(execId);
        resolve(this.#diedExecs.has(execId));
      };
      const timer = setTimeout(done, timeoutMs);
      this.#waiters.set(execId, done);
    });
  }

  /** Forgets an exec that needs no more waiting (keeps the set small in long jobs). */
  forget(execId: string): void {
    this.#diedExecs.delete(execId);
  }

  close(): void {
    this.#ended = true;
    this.#stream.destroy();
  }

  #onLine(line: string): void {
    if (!line.trim()) return;
    let event: EngineEvent;
    try {
      event = JSON.parse(line) as EngineEvent;
    } catch {
      return;
    }
    const action = event.Action ?? event.status ?? '';
    if (action === 'oom') this.#oomKills++;
    else if (action.startsWith('exec_die')) {
      const execId = event.Actor?.Attributes?.execID;
      if (!execId) return;
      this.#diedExecs.add(execId);
      this.#waiters.get(execId)?.();
    }
  }
}
