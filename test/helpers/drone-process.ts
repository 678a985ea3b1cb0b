/**
 * A real drone process for a test (compiled or through tsx: built-hive.ts), connected to
 * the test queen over a real WebSocket.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { droneCommandArgs } from './built-hive.ts';
import { DRONE_TOKEN, type TestQueen } from './queen.ts';
import { mallocEnv } from './malloc-env.ts';

export interface DroneOptions {
  name: string;
  capacity?: number;
  labels?: string[];
  speed?: number;
  token?: string;
  /** Connect to this port instead of the queen's (e.g. a queen that will start later). */
  port?: number;
  /** Several queens, tried in this order (`--queen` repeated); instead of `port`. */
  ports?: number[];
  /** The drone's data dir, e.g. the one of a drone that was killed (default: a new temp dir). */
  dataDir?: string;
  /** More environment for the drone (HIVE_GIT_*, HIVE_DRONE_OUTBOX_MEMORY_BYTES, …). */
  env?: Record<string, string>;
  /** Node flags before the drone's own (e.g. `--cpu-prof`, which NODE_OPTIONS does not take). */
  nodeArgs?: string[];
}

export interface TestDrone {
  name: string;
  process: ChildProcess;
  dataDir: string;
  /** Everything the drone printed (its JSON log). */
  output(): string;
  /** Stops the drone (SIGTERM, then SIGKILL) and removes its data. */
  stop(): Promise<void>;
  /** Kills the drone at once, as a crash would. */
  kill(): Promise<void>;
}

export async function startDrone(queen: TestQueen | undefined, opts: DroneOptions): Promise<TestDrone> {
  const dataDir = opts.dataDir ?? (await mkdtemp(join(tmpdir(), `hive-drone-${opts.name}-`)));
  const ports = opts.ports ?? [opts.port ?? queen!.port];
  const args = [
    ...(opts.nodeArgs ?? []),
    ...droneCommandArgs,
    ...ports.flatMap((port) => ['--queen', `ws://127.0.0.1:${port}`]),
    '--name', opts.name,
    '--capacity', String(opts.capacity ?? 1),
    '--data-dir', dataDir,
  ];
  if (opts.labels?.length) args.push('--labels', opts.labels.join(','));
  if (opts.speed !== undefined) args.push('--speed', String(opts.speed));
  const child = spawn(process.execPath, args, {
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...mallocEnv(), HIVE_DRONE_TOKEN: opts.token ?? DRONE_TOKEN, ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const kill = async (signal: NodeJS.Signals) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    await exited;
  };
  return {
    name: opts.name,
    process: child,
    dataDir,
    output: () => output,
    async stop() {
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await kill('SIGTERM');
      clearTimeout(timer);
      await rm(dataDir, { recursive: true, force: true });
    },
    async kill() {
      await kill('SIGKILL');
    },
  };
}

/** Starts a drone and waits until the queen has it. */
export async function connectDrone(queen: TestQueen, opts: DroneOptions): Promise<TestDrone> {
  const connected = new Promise<void>((resolve) => {
    const onConnected = (d: { name: string }) => {
      if (d.name !== opts.name) return;
      queen.hub.off('connected', onConnected);
      resolve();
    };
    queen.hub.on('connected', onConnected);
  });
  const drone = await startDrone(queen, opts);
  const died = new Promise<never>((_, reject) =>
    drone.process.once('exit', (code) => reject(new Error(`drone ${opts.name} exited (${code}) before connecting:\n${drone.output()}`))));
  await Promise.race([connected, died]);
  died.catch(() => {});
  return drone;
}
