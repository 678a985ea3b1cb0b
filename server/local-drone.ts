/**
 * The drone `hive start` runs beside the queen: a child process (the same program a remote
 * drone runs) connected over the loopback WebSocket with a token valid for this process
 * only. If it dies it is restarted, after a pause that grows while it keeps dying.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import type { Logger } from './logger.ts';
import { CHILD_NODE_FLAGS } from './util/child-node-flags.ts';
import { FORWARDED_STDIO, forwardChildOutput } from './util/child-output.ts';
import { modulePath, tsxImportArgs } from './util/tsx-loader.ts';

const droneMain = modulePath('../drone/main.ts', import.meta.url);

export function startLocalDrone(opts: {
  queenPort: number;
  token: string;
  dataDir: string;
  capacity?: number;
  log: Logger;
}): { stop(): Promise<void> } {
  let child: ChildProcess | undefined;
  let stopping = false;
  let delayMs = 500;
  const launch = () => {
    const started = Date.now();
    child = spawn(process.execPath, [
      ...CHILD_NODE_FLAGS, ...tsxImportArgs, droneMain,
      '--queen', `ws://127.0.0.1:${opts.queenPort}`,
      '--name', 'local',
      '--capacity', String(opts.capacity ?? availableParallelism()),
      '--data-dir', join(opts.dataDir, 'drone'),
    ], {
      // The token goes through the environment, not argv, so `ps` never shows it.
      env: { ...process.env, HIVE_DRONE_TOKEN: opts.token },
      // Not inherited: the queen's own output must stay non-blocking (child-output.ts).
      stdio: [...FORWARDED_STDIO],
    });
    forwardChildOutput(child, 'local-drone');
    child.on('exit', (code, signal) => {
      if (stopping) return;
      delayMs = Date.now() - started > 30_000 ? 500 : Math.min(delayMs * 2, 30_000);
      opts.log.warn({ code, signal, restartInMs: delayMs }, 'local drone exited; restarting');
      setTimeout(launch, delayMs).unref();
    });
  };
  launch();
  return {
    stop: () => new Promise<void>((resolve) => {
      stopping = true;
      if (!child || child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    }),
  };
}
