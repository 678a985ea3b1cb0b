/**
 * Drone configuration: the only place that looks at argv and the environment. Everything
 * is validated here at start so a misconfigured drone fails at once with a message that
 * says what was expected, instead of failing later on the first job.
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { join, resolve } from 'node:path';
import { EXECUTOR_MODES } from './executors/choose.ts';
import type { ExecutorMode } from './executors/choose.ts';
import { PRIVILEGED_LABEL } from '../common/drone-labels.ts';
import { ConfigError } from '../common/config-error.ts';
import { UsageError } from '../common/usage-error.ts';
import { parseBooleanEnv } from '../common/boolean-env.ts';
import { MAX_DRONE_CAPACITY, MAX_DRONE_NAME_CHARS } from '../common/protocol/constants.ts';
import { gitTimeoutsFromEnv, type GitTimeouts } from '../common/git/git-timeouts.ts';

export interface DroneConfig {
  /** Base URL of the first queen, `ws://` or `wss://`, without a trailing slash (`queenUrls[0]`). */
  queenUrl: string;
  /**
   * Every queen the drone may connect to (`--queen` repeated, or a comma-separated list),
   * in the order tried: queens sharing one PostgreSQL, any of which can take the drone.
   */
  queenUrls?: string[];
  token: string;
  name: string;
  /** How many jobs run at once. */
  capacity: number;
  /** Relative speed reported to the scheduler (higher is faster). */
  speed: number;
  labels: string[];
  plugins: string[];
  /** Absolute path of the drone's cache, workspaces and event spill files. */
  dataDir: string;
  /** Keep each job's workspace after the job (for debugging). */
  keepWorkspaces: boolean;
  /**
   * Whether this drone runs privileged containers (`--allow-privileged`, default off): a
   * privileged container can take over the drone's host, so only its operator decides.
   */
  allowPrivileged?: boolean;
  /**
   * The few host variables handed to build commands run as plain processes. Never the
   * whole environment: it holds the drone token.
   */
  hostEnv: Record<string, string>;
  /** Where jobs run: `auto` (Docker for jobs with an image, when an engine answers), `docker`, `process`. Default `auto`. */
  executor?: ExecutorMode;
  /** The Docker engine's address (`unix:///var/run/docker.sock`, `tcp://host:2375`); default the local socket. */
  dockerHost?: string;
  /**
   * The Docker client configuration whose registry logins pull images (`config.json` in
   * `--docker-config`, `DOCKER_CONFIG`, or `~/.docker`, as the docker CLI finds it).
   */
  dockerConfigFile?: string;
  /** How long checkouts may take to connect, stall and fetch (HIVE_GIT_*; common/git/git-timeouts.ts). */
  gitTimeouts?: GitTimeouts;
  /**
   * Bytes of job events held in memory while the queen has not stored them (it is away, or
   * slow) before they spill to files under dataDir (HIVE_DRONE_OUTBOX_MEMORY_BYTES).
   */
  outboxMemoryBytes?: number;
}

// Re-exported: drone/main.ts and tests catch it from here.
export { ConfigError };

/** Host variables a build command may see when it runs as a plain process. */
export const HOST_ENV_WHITELIST = ['PATH', 'HOME', 'LANG', 'LC_ALL', 'TZ', 'TMPDIR', 'USER', 'SHELL'] as const;

export function pickHostEnv(env: NodeJS.ProcessEnv): Record<string, string> {
  const picked: Record<string, string> = {};
  for (const key of HOST_ENV_WHITELIST) {
    const value = env[key];
    if (value !== undefined) picked[key] = value;
  }
  return picked;
}

/** Facts about the machine, injectable so `loadDroneConfig` stays a pure function in tests. */
export interface SystemFacts {
  hostname: string;
  parallelism: number;
  cwd: string;
  /** The drone user's home (for `~/.docker`); undefined when it has none. */
  home?: string;
  readFile: (path: string) => string;
}

const defaultSystem = (): SystemFacts => ({
  hostname: os.hostname(),
  parallelism: os.availableParallelism(),
  cwd: process.cwd(),
  home: safeHomedir(),
  readFile: (path) => readFileSync(path, 'utf8'),
});

// flag name → env fallback. Boolean flags take no value.
const VALUE_FLAGS = {
  queen: 'HIVE_QUEEN_URL',
  token: 'HIVE_DRONE_TOKEN',
  'token-file': 'HIVE_DRONE_TOKEN_FILE',
  capacity: 'HIVE_DRONE_CAPACITY',
  labels: 'HIVE_DRONE_LABELS',
  plugins: 'HIVE_DRONE_PLUGINS',
  name: 'HIVE_DRONE_NAME',
  speed: 'HIVE_DRONE_SPEED',
  'data-dir': 'HIVE_DRONE_DATA_DIR',
  executor: 'HIVE_DRONE_EXECUTOR',
  'docker-host': 'DOCKER_HOST',
  'docker-config': 'DOCKER_CONFIG',
} as const;
const BOOLEAN_FLAGS = {
  'keep-workspaces': 'HIVE_DRONE_KEEP_WORKSPACES',
  'allow-privileged': 'HIVE_DRONE_ALLOW_PRIVILEGED',
} as const;
type ValueFlag = keyof typeof VALUE_FLAGS;
type BooleanFlag = keyof typeof BOOLEAN_FLAGS;

// Limits of the `drone:hello` message, checked here so a bad flag fails at start.
const MAX_CAPACITY = MAX_DRONE_CAPACITY;
const MAX_NAME = MAX_DRONE_NAME_CHARS;

export function loadDroneConfig(argv: string[], env: NodeJS.ProcessEnv, system: SystemFacts = defaultSystem()): DroneConfig {
  const flags = parseArgv(argv);
  const value = (flag: ValueFlag): string | undefined => {
    const v = flags.values.get(flag) ?? env[VALUE_FLAGS[flag]];
    return v === undefined || v.trim() === '' ? undefined : v.trim();
  };
  const bool = (flag: BooleanFlag): boolean => {
    if (flags.booleans.has(flag)) return true;
    return parseBooleanEnv(BOOLEAN_FLAGS[flag], env[BOOLEAN_FLAGS[flag]], false);
  };

  const name = value('name') ?? system.hostname;
  if (name.length > MAX_NAME) throw new ConfigError(`Expected --name to be at most ${MAX_NAME} characters, got ${name.length}`);

  const dockerHost = value('docker-host');
  const dockerConfigDir = value('docker-config') ?? (system.home === undefined ? undefined : join(system.home, '.docker'));
  const outboxMemoryBytes = parseOutboxMemory(env.HIVE_DRONE_OUTBOX_MEMORY_BYTES);
  const queenUrls = parseQueenUrls(flags.queens.length ? flags.queens : env.HIVE_QUEEN_URL === undefined ? [] : [env.HIVE_QUEEN_URL]);
  return {
    queenUrl: queenUrls[0],
    queenUrls,
    token: readToken(value('token'), value('token-file'), system),
    name,
    capacity: parseCapacity(value('capacity'), system.parallelism),
    speed: parseSpeed(value('speed')),
    labels: droneLabels(parseList('labels', value('labels')), bool('allow-privileged')),
    allowPrivileged: bool('allow-privileged'),
    plugins: parseList('plugins', value('plugins')),
    dataDir: resolve(system.cwd, value('data-dir') ?? '.hive/drone'),
    keepWorkspaces: bool('keep-workspaces'),
    hostEnv: pickHostEnv(env),
    executor: parseExecutor(value('executor')),
    ...(dockerHost !== undefined && { dockerHost: parseDockerHost(dockerHost) }),
    ...(dockerConfigDir !== undefined && { dockerConfigFile: join(resolve(system.cwd, dockerConfigDir), 'config.json') }),
    gitTimeouts: gitTimeoutsFromEnv(env),
    ...(outboxMemoryBytes !== undefined && { outboxMemoryBytes }),
  };
}

/** Flags as given; `--queen` may be repeated (every value is kept, in order). */
function parseArgv(argv: string[]): { values: Map<string, string>; booleans: Set<string>; queens: string[] } {
  const values = new Map<string, string>();
  const booleans = new Set<string>();
  const queens: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith('--')) throw new UsageError(`Unexpected argument ${JSON.stringify(arg)}; options look like --capacity 2`);
    const eq = arg.indexOf('=');
    const flag = arg.slice(2, eq === -1 ? undefined : eq);
    if (Object.hasOwn(BOOLEAN_FLAGS, flag)) {
      if (eq !== -1) throw new UsageError(`Option --${flag} takes no value`);
      booleans.add(flag);
    } else if (Object.hasOwn(VALUE_FLAGS, flag)) {
      const v = eq !== -1 ? arg.slice(eq + 1) : argv[++i];
      if (v === undefined) throw new UsageError(`Expected a value after --${flag}`);
      if (flag === 'queen') queens.push(v);
      values.set(flag, v);
    } else {
      const known = [...Object.keys(VALUE_FLAGS), ...Object.keys(BOOLEAN_FLAGS)].map((f) => `--${f}`).join(', ');
      throw new UsageError(`Unknown option --${flag}; known options: ${known}`);
    }
  }
  return { values, booleans, queens };
}

/** Every `--queen` value (or HIVE_QUEEN_URL), each possibly a comma-separated list; duplicates once. */
function parseQueenUrls(raws: string[]): string[] {
  const urls = [...new Set(raws.flatMap((r) => r.split(',')).map((r) => r.trim()).filter(Boolean).map(parseQueenUrl))];
  if (urls.length === 0) throw new ConfigError('Expected the queen URL: pass --queen ws://host:8080 (repeated for several queens) or set HIVE_QUEEN_URL');
  return urls;
}

function parseQueenUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch (cause) {
    throw new ConfigError(`Expected --queen to be a ws:// or wss:// URL, got ${JSON.stringify(raw)}`, { cause });
  }
  // Accept the queen's http(s) address too: it is what users copy from the browser.
  const protocols: Record<string, string> = { 'ws:': 'ws:', 'wss:': 'wss:', 'http:': 'ws:', 'https:': 'wss:' };
  const protocol = protocols[url.protocol];
  if (!protocol) throw new ConfigError(`Expected --queen to be a ws:// or wss:// URL, got ${JSON.stringify(raw)}`);
  if (url.username || url.password) throw new ConfigError('Expected --queen without credentials; pass the token with --token or HIVE_DRONE_TOKEN');
  url.protocol = protocol;
  return url.toString().replace(/\/+$/, '');
}

function readToken(token: string | undefined, file: string | undefined, system: SystemFacts): string {
  if (token !== undefined) return token;
  if (file !== undefined) {
    let content: string;
    try {
      content = system.readFile(file);
    } catch (cause) {
      throw new ConfigError(`Could not read the drone token file ${JSON.stringify(file)}`, { cause });
    }
    const t = content.trim();
    if (t) return t;
    throw new ConfigError(`Expected the drone token file ${JSON.stringify(file)} to contain a token, got an empty file`);
  }
  throw new ConfigError('Expected a drone token: pass --token or set HIVE_DRONE_TOKEN (or HIVE_DRONE_TOKEN_FILE)');
}

function parseCapacity(raw: string | undefined, fallback: number): number {
  if (raw === undefined) return Math.min(Math.max(1, fallback), MAX_CAPACITY);
  const n = /^\d+$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(n) || n < 1) throw new ConfigError(`Expected --capacity to be a positive integer, got ${JSON.stringify(raw)}`);
  if (n > MAX_CAPACITY) throw new ConfigError(`Expected --capacity to be at most ${MAX_CAPACITY}, got ${JSON.stringify(raw)}`);
  return n;
}

function parseSpeed(raw: string | undefined): number {
  if (raw === undefined) return 1;
  const n = /^\d+(\.\d+)?$|^\.\d+$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isFinite(n) || n <= 0) throw new ConfigError(`Expected --speed to be a positive number, got ${JSON.stringify(raw)}`);
  return n;
}

function parseOutboxMemory(raw: string | undefined): number | undefined {
  if (raw === undefined || raw.trim() === '') return undefined;
  const n = /^\d+$/.test(raw.trim()) ? Number(raw.trim()) : NaN;
  if (!Number.isSafeInteger(n) || n < 1024) throw new ConfigError(`Expected HIVE_DRONE_OUTBOX_MEMORY_BYTES to be an integer of at least 1024, got ${JSON.stringify(raw)}`);
  return n;
}

function parseExecutor(raw: string | undefined): ExecutorMode {
  if (raw === undefined) return 'auto';
  const mode = EXECUTOR_MODES.find((m) => m === raw.toLowerCase());
  if (!mode) throw new ConfigError(`Expected --executor to be one of ${EXECUTOR_MODES.join(', ')}, got ${JSON.stringify(raw)}`);
  return mode;
}

function parseDockerHost(raw: string): string {
  if (/^(unix:\/\/)?\//.test(raw) || /^(tcp|http):\/\/[^/\s]+\/?$/.test(raw)) return raw;
  throw new ConfigError(`Expected --docker-host to be unix:///path/to/docker.sock or tcp://host:port, got ${JSON.stringify(raw)}`);
}

/**
 * The labels reported to the queen: the `privileged` label only when the operator allows
 * privileged containers, whatever `--labels` says, since privileged jobs require it.
 */
function droneLabels(labels: string[], allowPrivileged: boolean): string[] {
  const rest = labels.filter((l) => l !== PRIVILEGED_LABEL);
  return allowPrivileged ? [...rest, PRIVILEGED_LABEL] : rest;
}

function parseList(flag: 'labels' | 'plugins', raw: string | undefined): string[] {
  if (raw === undefined) return [];
  const items = [...new Set(raw.split(',').map((s) => s.trim()).filter(Boolean))];
  for (const item of items) {
    if (item.length > 200) throw new ConfigError(`Expected each of --${flag} to be at most 200 characters, got ${JSON.stringify(item.slice(0, 40))}…`);
  }
  return items;
}

/** The user's home directory, or undefined for a user without one (os.homedir throws then). */
function safeHomedir(): string | undefined {
  try {
    return os.homedir();
  } catch {
    return undefined;
  }
}
