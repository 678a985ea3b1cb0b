/** `hive users …`: user administration on the queen's machine. Wiring only. */
import { CliUsageError } from './config.ts';
import { runUsersCli } from './users-commands.ts';
import { USERS_USAGE } from './usage.ts';

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

try {
  process.exitCode = await runUsersCli(process.argv.slice(2), process.env, {
    write: (t) => process.stdout.write(t),
    error: (t) => process.stderr.write(t),
    readStdin,
  });
} catch (err) {
  process.stderr.write(`hive: ${err instanceof Error ? err.message : String(err)}\n`);
  if (err instanceof CliUsageError) process.stderr.write(`${USERS_USAGE}\n`);
  // Misuse exits 2 with the usage; a bad setting (ConfigError) or a failure 1, with one line.
  process.exitCode = err instanceof CliUsageError ? 2 : 1;
}
