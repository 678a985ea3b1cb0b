/** `hive db export|import FILE`: wiring only. Every failure is one line on stderr, never a stack trace. */
import { CliUsageError } from './config.ts';
import { runDbCli } from './db-commands.ts';
import { DB_USAGE } from './usage.ts';

try {
  process.exitCode = await runDbCli(process.argv.slice(2), process.env, { error: (t) => process.stderr.write(t) });
} catch (err) {
  process.stderr.write(`hive: ${err instanceof Error ? err.message : String(err)}\n`);
  if (err instanceof CliUsageError) process.stderr.write(`${DB_USAGE}\n`);
  // Misuse exits 2 with the usage; a bad setting (ConfigError), a refusal or a failure 1.
  process.exitCode = err instanceof CliUsageError ? 2 : 1;
}
