/**
 * Starts the queen (and, unless turned off, a local drone). Wiring only. What stops it from
 * starting — a misused command line (exit 2, with the usage), a bad setting, a data
 * directory another queen holds, a port in use (exit 1) — is one line on stderr, never a
 * stack trace.
 */
import { randomBytes } from 'node:crypto';
import { ConfigError } from '../common/config-error.ts';
import { UsageError } from '../common/usage-error.ts';
import { loadConfig, type QueenConfig } from './config.ts';
import { DataDirLockedError, DataDirUnusableError, lockDataDir, type DataDirLock } from './data-dir-lock.ts';
import { startLocalDrone } from './local-drone.ts';
import { createLogger } from './logger.ts';
import { startQueen, type Queen } from './queen.ts';
import { QUEEN_USAGE, checkQueenArgs } from './usage.ts';
import { PortUnavailableError, checkPortFree, portError } from './util/port-check.ts';

function refuseToStart(err: unknown): never {
  const known = err instanceof ConfigError || err instanceof DataDirLockedError || err instanceof DataDirUnusableError || err instanceof PortUnavailableError;
  if (!known) throw err;
  process.stderr.write(`hive: ${err.message}\n`);
  if (err instanceof UsageError) process.stderr.write(`${QUEEN_USAGE}\n`);
  process.exit(err instanceof UsageError ? 2 : 1);
}

let config: QueenConfig;
let lock: DataDirLock;
let queen: Queen;
try {
  checkQueenArgs(process.argv.slice(2));
  config = loadConfig(process.env, process.argv.slice(2));
  // The lock first: with DATABASE_URL too, since the mirrors and secret.key live there.
  lock = await lockDataDir(config.dataDir, 'a Hive queen');
  await checkPortFree(config.host, config.port);
} catch (err) {
  refuseToStart(err);
}
const log = createLogger(config.logLevel);
const localDroneToken = config.localDrone ? `local_${randomBytes(24).toString('base64url')}` : undefined;
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

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, async () => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    await drone?.stop();
    await queen.close();
    lock.release();
    process.exit(0);
  });
}
