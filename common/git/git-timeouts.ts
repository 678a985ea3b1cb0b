/**
 * How long git may take to reach a repository and to move data, for the queen's mirrors
 * and the drone's checkouts alike. A repository whose server accepts and never answers,
 * or a host behind a firewall that drops packets, must end its job in bounded time and
 * must not hold a slot other repositories' jobs need.
 *
 * - connect: ssh's `ConnectTimeout`; for http(s), where git has no such setting, a probe
 *   of the host's port beside the git process (connect-probe.ts).
 * - low speed: git's `http.lowSpeedLimit`/`http.lowSpeedTime` (a transfer slower than the
 *   limit for that long is aborted) and, for ssh, keepalives that give up after as long.
 * - total: a wall-clock limit for one fetch; then the git process group is killed
 *   (remote-git.ts), helpers such as `git-remote-http` and `ssh` included.
 *
 * The queen's and the drone's config.ts read the same variables through `gitTimeoutsFromEnv`.
 */
import { ConfigError } from '../config-error.ts';

export interface GitTimeouts {
  connectMs: number;
  /** No more than `lowSpeedLimit` bytes/s for this long aborts a transfer. */
  lowSpeedMs: number;
  /** Bytes per second (git's `http.lowSpeedLimit`). */
  lowSpeedLimit: number;
  /** The whole fetch, wall clock. */
  totalMs: number;
}

export const DEFAULT_GIT_TIMEOUTS: GitTimeouts = {
  connectMs: 10_000,
  lowSpeedMs: 30_000,
  lowSpeedLimit: 1000,
  totalMs: 10 * 60_000,
};

export const GIT_TIMEOUT_VARIABLES = {
  connectMs: 'HIVE_GIT_CONNECT_TIMEOUT_MS',
  lowSpeedMs: 'HIVE_GIT_LOW_SPEED_MS',
  lowSpeedLimit: 'HIVE_GIT_LOW_SPEED_LIMIT',
  totalMs: 'HIVE_GIT_TIMEOUT_MS',
} as const satisfies Record<keyof GitTimeouts, string>;

/** The timeouts from the environment's raw values (only config.ts files pass the environment in). */
export function gitTimeoutsFromEnv(env: Record<string, string | undefined>): GitTimeouts {
  const read = (key: keyof GitTimeouts, min: number): number => {
    const name = GIT_TIMEOUT_VARIABLES[key];
    const raw = env[name]?.trim();
    if (raw === undefined || raw === '') return DEFAULT_GIT_TIMEOUTS[key];
    const value = Number(raw);
    if (!/^\d+$/.test(raw) || !Number.isSafeInteger(value) || value < min) {
      throw new ConfigError(`Expected ${name} to be an integer of at least ${min}, got ${JSON.stringify(raw)}`);
    }
    return value;
  };
  return {
    // Git and ssh count whole seconds: less than one would be rounded up anyway.
    connectMs: read('connectMs', 1000),
    lowSpeedMs: read('lowSpeedMs', 1000),
    lowSpeedLimit: read('lowSpeedLimit', 1),
    totalMs: read('totalMs', 1000),
  };
}

const seconds = (ms: number) => Math.max(1, Math.ceil(ms / 1000));

/** `-c` options for a git command that talks to a remote over http(s). */
export function lowSpeedConfig(t: GitTimeouts): string[] {
  return ['-c', `http.lowSpeedLimit=${t.lowSpeedLimit}`, '-c', `http.lowSpeedTime=${seconds(t.lowSpeedMs)}`];
}

/**
 * `GIT_SSH_COMMAND` with the timeouts added: ssh gives up connecting after `connectMs`,
 * and on a connection that stays silent for about `lowSpeedMs` (three keepalives unanswered).
 * Options after the command's own still apply: ssh takes the first value of each option,
 * and the base command (credentials-env.ts) sets none of these.
 */
export function sshCommandWithTimeouts(base: string | undefined, t: GitTimeouts): string {
  const alive = Math.max(1, Math.ceil(seconds(t.lowSpeedMs) / 3));
  return `${base || 'ssh'} -o ConnectTimeout=${seconds(t.connectMs)} -o ServerAliveInterval=${alive} -o ServerAliveCountMax=3`;
}
