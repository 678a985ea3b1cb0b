/**
 * Runs one command in a running container with `docker exec`: `sh -c <command>`, stdout
 * and stderr demultiplexed from the engine's attach stream and handed over as they come,
 * kept apart and in order, then the exit code from the exec's inspection.
 *
 * The attach stream ends once the process has exited and its output is drained. A
 * background process still holding the output open (`server &`) does not keep it open
 * forever: the engine closes it shortly after the exit. An abort (the caller kills the
 * container) ends the stream too; should it not, it is cut after `graceMs`.
 */
import { Writable } from 'node:stream';
import type Docker from 'dockerode';
import type { OutputFlow } from '../executors/executor.ts';

export interface ExecIo {
  onStdout(chunk: Buffer): void;
  onStderr(chunk: Buffer): void;
  /**
   * As `CommandIo.flow`: while the output's consumer is congested the attach stream is not
   * read, and the command waits on its output as on a slow terminal.
   */
  flow?: OutputFlow;
}

export interface ExecOptions {
  workingDir: string;
  /** When aborted, stop waiting for the output after `graceMs`. */
  signal?: AbortSignal;
  graceMs?: number;
  user?: string;
}

export interface ExecEnd {
  execId: string;
  /** Null when the engine has no exit code (the process was killed with its container). */
  exitCode: number | null;
}

export async function execCommand(container: Docker.Container, argv: string[], io: ExecIo, options: ExecOptions): Promise<ExecEnd> {
  const exec = await container.exec({
    Cmd: argv,
    AttachStdin: false,
    AttachStdout: true,
    AttachStderr: true,
    Tty: false,
    WorkingDir: options.workingDir,
    ...(options.user !== undefined && { User: options.user }),
  });
  const stream = (await exec.start({ hijack: true, stdin: false })) as NodeJS.ReadWriteStream & { destroy(): void };
  let held = false;
  const holdWhileCongested = () => {
    if (held || !io.flow?.congested()) return;
    held = true;
    stream.pause();
    io.flow.whenDrained(() => {
      held = false;
      stream.resume();
    });
  };
  const sink = (deliver: (chunk: Buffer) => void) =>
    new Writable({
      write(chunk: Buffer, _encoding, callback) {
        deliver(chunk);
        holdWhileCongested();
        callback();
      },
    });
  container.modem.demuxStream(stream, sink((c) => io.onStdout(c)), sink((c) => io.onStderr(c)));

  await new Promise<void>((resolve) => {
    let cut: NodeJS.Timeout | undefined;
    const onAbort = () => {
      cut = setTimeout(() => stream.destroy(), options.graceMs ?? 5_000);
    };
    const done = () => {
      clearTimeout(cut);
      options.signal?.removeEventListener('abort', onAbort);
      resolve();
    };
    stream.once('end', done);
    stream.once('close', done);
    // The only listener for 'error': without one, a broken socket would crash the drone.
    stream.on('error', done);
    if (options.signal?.aborted) onAbort();
    else options.signal?.addEventListener('abort', onAbort, { once: true });
  });
  return { execId: exec.id, exitCode: await exitCodeOf(exec) };
}

/**
 * The engine may record the exit a moment after closing the stream; ask again briefly.
 * An exec still "running" after that belonged to a container that was killed.
 */
async function exitCodeOf(exec: Docker.Exec): Promise<number | null> {
  for (let delay = 5; delay <= 320; delay *= 2) {
    const info = await exec.inspect();
    if (!info.Running) return typeof info.ExitCode === 'number' ? info.ExitCode : null;
    await new Promise((resolve) => setTimeout(resolve, delay));
  }
  return null;
}
