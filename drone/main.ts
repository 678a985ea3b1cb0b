/** Starts a drone: `node --import tsx drone/main.ts --queen ws://host:8080 --token … [--capacity N …]`. */
import pino from 'pino';
import { exitAfter } from '../common/hard-exit.ts';
import { boundedStdout } from '../common/log-destination.ts';
import { checkGitVersion } from '../common/git/git-version.ts';
import { UsageError } from '../common/usage-error.ts';
import { ConfigError, loadDroneConfig } from './config.ts';
import { Drone } from './drone.ts';
import { EngineUnavailableError, setupExecutors } from './executors/setup.ts';
import { DRONE_USAGE } from './usage.ts';

let config;
try {
  config = loadDroneConfig(process.argv.slice(2), process.env);
  await checkGitVersion(config.hostEnv);
} catch (err) {
  if (!(err instanceof ConfigError)) throw err;
  // A misused command line exits 2 with the usage; a bad setting 1, with its one line.
  console.error(`hive drone: ${err.message}`);
  if (err instanceof UsageError) console.error(DRONE_USAGE);
  process.exit(err instanceof UsageError ? 2 : 1);
}

// The token is never logged: it is not in any log binding, and redacted if it ever were.
// Lines never block the drone on an unread pipe (common/log-destination.ts).
const logger = pino({ name: 'hive-drone', redact: ['token', '*.token', 'headers.authorization'] }, boundedStdout({ name: 'hive-drone' }));
let executors;
try {
  executors = await setupExecutors(config, logger);
} catch (err) {
  if (!(err instanceof EngineUnavailableError)) throw err;
  console.error(`hive drone: ${err.message}`);
  process.exit(1);
}
// SIGTERM must end the drone within 5 s: the last events get 2.5 s to be acknowledged,
// and after 4 s it exits whatever it still waits for.
const STOP_FLUSH_MS = 2_500;
const HARD_EXIT_MS = 4_000;
const drone = new Drone({ config: { ...config, labels: executors.labels }, logger, executor: executors.choose, flushTimeoutMs: STOP_FLUSH_MS });

drone.on('stopped', () => process.exit(0));
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    logger.info({ signal }, 'stopping: cancelling running jobs');
    exitAfter(HARD_EXIT_MS, (message) => logger.warn(message));
    void drone.stop();
    // A second signal means "now".
    process.once(signal, () => process.exit(1));
  });
}
await drone.start();
