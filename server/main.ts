/**
 * Starts the queen (and, unless turned off, a local drone). Wiring only. What stops it from
 * starting — a misused command line (exit 2, with the usage), a bad setting, no git or one too old, a data
 * directory another queen holds, an embedded database that cannot be created or opened or
 * that a newer Hive migrated, a port in use (exit 1) — is one line on stderr, never a stack trace.
 */
// First: V8 settings that must hold before the rest loads (v8-tuning.ts).
import './v8-tuning.ts';
import { randomBytes } from 'node:crypto';
import { ConfigError } from '../common/config-error.ts';
import { checkGitVersion } from '../common/git/git-version.ts';
import { UsageError } from '../common/usage-error.ts';
import { exitAfter } from '../common/hard-exit.ts';
import { loadConfig, type QueenConfig } from './config.ts';
import { DataDirLockedError, DataDirUnusableError, lockDataDir, type DataDirLock } from './data-dir-lock.ts';
import { EmbeddedDatabaseError } from './db/embedded-database-error.ts';
import { UnknownMigrationError } from './db/migration-level.ts';
import { startLocalDrone } from './local-drone.ts';
import { createLogger, type Logger } from './logger.ts';
import { startQueen, type Queen } from './queen.ts';
import { QUEEN_USAGE, checkQueenArgs } from './usage.ts';
import { PortUnavailableError, checkPortFree, portError } from './util/port-check.ts';

function refuseToStart(err: unknown): never {
  const known = err instanceof ConfigError || err instanceof DataDirLockedError || err instanceof DataDirUnusableError
    || err instanceof EmbeddedDatabaseError || err instanceof UnknownMigrationError || err instanceof PortUnavailableError;
  if (!known) throw err;
  process.stderr.write(`hive: ${err.message}\n`);
  if (err instanceof UsageError) process.stderr.write(`${QUEEN_USAGE}\n`);
  process.exit(err instanceof UsageError ? 2 : 1);
}

// Signals are handled from the first moment: one that arrives while the queen starts
// (the database opening, the banner just printed) still ends it cleanly, lock released.
let stopSignal: NodeJS.Signals | undefined;
let ready: (() => Promise<void>) | undefined;
let log: Logger | undefined;
/** Between opening the database and being ready: a signal waits for the start to finish. */
let starting = false;
/** SIGTERM ends the queen within 5 s: a graceful stop gets 4 s, then it exits regardless. */
const HARD_EXIT_MS = 4_000;
async function shutDown(signal: NodeJS.Signals): Promise<void> {
  log?.info({ signal }, 'shutting down');
  await ready?.();
  process.exit(0);
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopSignal) return;
    stopSignal = signal;
    // Armed at the signal: a start that hangs (a database that does not answer) ends too.
    exitAfter(HARD_EXIT_MS, (message) => (log ? log.warn(message) : process.stderr.write(`hive: ${message}\n`)));
    // Before the queen runs there is nothing to stop but the process (the lock goes with it).
    if (ready) void shutDown(signal);
    else if (!starting) process.exit(0);
  });
}

let config: QueenConfig;
let lock: DataDirLock;
let queen: Queen;
try {
  checkQueenArgs(process.argv.slice(2));
  config = loadConfig(process.env, process.argv.slice(2));
  await checkGitVersion(config.gitEnv);
  // The lock first: with DATABASE_URL too, since the mirrors and secret.key live there.
  lock = await lockDataDir(config.dataDir, 'a Hive queen');
  await checkPortFree(config.host, config.port);
} catch (err) {
  refuseToStart(err);
}
log = createLogger(config.logLevel);
const localDroneToken = config.localDrone ? `local_${randomBytes(24).toString('base64url')}` : undefined;
starting = true;
try {
  queen = await startQueen(config, { log, localDroneToken });
} catch (err) {
  refuseToStart(portError(err, config.host, config.port) ?? err);
}
for (const p of queen.plugins.list()) {
  log.info({ plugin: p.plugin.name, version: p.plugin.version, builtIn: p.builtIn }, 'plugin loaded');
}

const banner = [`Hive is running at ${config.publicUrl} (API: ${queen.url}/api)`];
for (const { kind, token } of queen.bootstrap.created) {
  banner.push(`Generated ${kind} token (shown once, store it now): ${token}`);
}
if (queen.generatedAdminPassword) {
  banner.push(`Log in to the web UI as "admin" with this generated password (shown once): ${queen.generatedAdminPassword}`);
}
// Tokens are printed to the terminal once, deliberately outside the structured log.
process.stdout.write(`\n${banner.join('\n')}\n\n`);

const drone = localDroneToken
  ? startLocalDrone({ queenPort: queen.port, token: localDroneToken, dataDir: config.dataDir, capacity: config.localDroneCapacity, log })
  : undefined;

// Running: a signal that came during start-up is acted on now.
ready = async () => {
  await drone?.stop();
  await queen.close();
  lock.release();
};
if (stopSignal) void shutDown(stopSignal);
