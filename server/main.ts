/** Starts the queen (and, unless turned off, a local drone). Wiring only. */
import { randomBytes } from 'node:crypto';
import { loadConfig } from './config.ts';
import { startLocalDrone } from './local-drone.ts';
import { createLogger } from './logger.ts';
import { startQueen } from './queen.ts';

const config = loadConfig(process.env, process.argv.slice(2));
const log = createLogger(config.logLevel);
const localDroneToken = config.localDrone ? `local_${randomBytes(24).toString('base64url')}` : undefined;
const queen = await startQueen(config, { log, localDroneToken });

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
    process.exit(0);
  });
}
