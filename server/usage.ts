/**
 * What `hive start --help` and `hive queen --help` print, and the check of their command
 * line (the queen is configured through the environment; its only flag is
 * `--no-local-drone`). A misused command line exits 2 with this usage.
 */
import { UsageError } from '../common/usage-error.ts';

export const QUEEN_USAGE = `usage: hive start [--no-local-drone]    the queen and a drone beside it
       hive queen                         the queen alone (drones connect from anywhere)

Configured through the environment (see the README's Configuration section); the most used:
  HIVE_PORT, HIVE_HOST      where it listens (8080, 0.0.0.0)
  HIVE_DATA_DIR             embedded database, mirrors, secret.key (./.hive)
  DATABASE_URL              PostgreSQL instead of the embedded database
  HIVE_PUBLIC_URL           the address users reach it at (links, webhooks)
  HIVE_ADMIN_TOKEN, HIVE_DRONE_TOKEN, HIVE_ADMIN_PASSWORD
                            set them, or the first start generates and prints them
  HIVE_PLUGINS              npm plugin packages to load (comma-separated)
  HIVE_LOCAL_DRONE_CAPACITY builds the local drone runs at once (hive start)
One queen per data directory: a second one on the same directory refuses to start.`;

export function checkQueenArgs(argv: string[]): void {
  const unknown = argv.filter((a) => a !== '--no-local-drone');
  if (unknown.length > 0) throw new UsageError(`unknown option ${unknown.map((a) => JSON.stringify(a)).join(' ')}`);
}
