/** `hive run|logs|projects|jobs|cancel`: the command-line client. Wiring only. */
import { runCli } from './commands.ts';
import { CLI_USAGE } from './usage.ts';
import { CliUsageError } from './config.ts';

try {
  process.exitCode = await runCli(process.argv.slice(2), process.env, {
    write: (t) => process.stdout.write(t),
    error: (t) => process.stderr.write(t),
  });
} catch (err) {
  process.stderr.write(`hive: ${err instanceof Error ? err.message : String(err)}\n`);
  if (err instanceof CliUsageError) process.stderr.write(`${CLI_USAGE}\n`);
  process.exitCode = 2;
}
