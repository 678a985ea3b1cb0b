#!/usr/bin/env node
/**
 * The `hive` command: `hive start` (queen + local drone), `hive queen`, `hive drone`, the
 * API client (`hive run|logs|jobs|projects|cancel|queue`) and `hive users` (user administration
 * on the queen's machine). Installed, this runs compiled as `dist/scripts/hive.js`; in a
 * clone, `scripts/hive.mjs` runs this source through tsx.
 *
 * `--help` on any command prints its usage (exit 0); an unknown command exits 2.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../server/util/tsx-loader.ts';

const USAGE = `usage: hive <command> [options]        (hive <command> --help tells more)

  start        the queen, its embedded database and a drone beside it (data in ./.hive)
  queen        the queen alone; drones connect to it from anywhere
  drone        a drone: hive drone --queen ws://host:8080 --token T
  run, runs, logs, jobs, projects, cancel, queue, drone-token, tokens
               the API client: start builds, follow logs, drone and bootstrap tokens
               (HIVE_URL, HIVE_TOKEN)
  users        user administration on the queen's machine (list, reset-password)
  db           the whole database into one file and back (export, import), e.g. to
               move from the embedded database to PostgreSQL

  -h, --help     this text
  -v, --version  the version of Hive`;

const COMMAND_USAGE: Record<string, () => Promise<string>> = {
  start: async () => (await import('../server/usage.ts')).QUEEN_USAGE,
  queen: async () => (await import('../server/usage.ts')).QUEEN_USAGE,
  drone: async () => (await import('../drone/usage.ts')).DRONE_USAGE,
  users: async () => (await import('./cli/usage.ts')).USERS_USAGE,
  db: async () => (await import('./cli/usage.ts')).DB_USAGE,
  ...Object.fromEntries(['run', 'logs', 'jobs', 'projects', 'cancel', 'queue', 'runs', 'drone-token', 'tokens', 'help-cli'].map((c) => [c, async () => (await import('./cli/usage.ts')).CLI_USAGE])),
};

/** Runs a command's main module as if node had started it with `args`. */
function argvFor(args: string[]): void {
  process.argv = [process.argv[0], process.argv[1], ...args];
}

const [command, ...rest] = process.argv.slice(2);

if (command === undefined || command === '-h' || command === '--help' || command === 'help') {
  console.log(USAGE);
} else if (command === '-v' || command === '--version') {
  console.log(JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8')).version);
} else if (!Object.hasOwn(COMMAND_USAGE, command)) {
  console.error(`hive: unknown command "${command}"\n${USAGE}`);
  process.exitCode = 2;
} else if (rest.includes('--help') || rest.includes('-h') || command === 'help-cli') {
  console.log(await COMMAND_USAGE[command]());
} else {
  switch (command) {
    case 'start':
      argvFor(rest);
      await import('../server/main.ts');
      break;
    case 'queen':
      argvFor(['--no-local-drone', ...rest]);
      await import('../server/main.ts');
      break;
    case 'drone':
      argvFor(rest);
      await import('../drone/main.ts');
      break;
    case 'users':
      argvFor(rest);
      await import('./cli/users-main.ts');
      break;
    case 'db':
      argvFor(rest);
      await import('./cli/db-main.ts');
      break;
    default:
      argvFor([command, ...rest]);
      await import('./cli/main.ts');
  }
}
