#!/usr/bin/env node
// The `hive` command: `hive start` (queen + local drone), `hive queen`, `hive drone`,
// `hive users` (user administration on the queen's machine).
// TypeScript runs through tsx, so there is no build step.
import { register } from 'tsx/esm/api';

register();
const [command, ...rest] = process.argv.slice(2);
const usage = `usage: hive start [--no-local-drone] | hive queen | hive drone --queen ws://host:8080 --token T [--capacity N] [--labels a,b] [--name X]
       hive run|logs|projects|jobs|cancel … (the API client; hive help-cli for details)
       hive users list | hive users reset-password <username> [--password-stdin] (on the queen's machine)`;

switch (command) {
  case 'start':
    process.argv = [process.argv[0], 'server/main.ts', ...rest];
    await import('../server/main.ts');
    break;
  case 'queen':
    process.argv = [process.argv[0], 'server/main.ts', '--no-local-drone', ...rest];
    await import('../server/main.ts');
    break;
  case 'drone':
    process.argv = [process.argv[0], 'drone/main.ts', ...rest];
    await import('../drone/main.ts');
    break;
  case 'run':
  case 'logs':
  case 'projects':
  case 'jobs':
  case 'cancel':
    process.argv = [process.argv[0], 'scripts/cli/main.ts', command, ...rest];
    await import('./cli/main.ts');
    break;
  case 'users':
    process.argv = [process.argv[0], 'scripts/cli/users-main.ts', ...rest];
    await import('./cli/users-main.ts');
    break;
  case 'help-cli':
    console.log((await import('./cli/commands.ts')).CLI_USAGE);
    break;
  case undefined:
  case '-h':
  case '--help':
    console.log(usage);
    break;
  default:
    console.error(`unknown command "${command}"\n${usage}`);
    process.exit(2);
}
