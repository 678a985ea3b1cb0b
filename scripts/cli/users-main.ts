/** `hive users …`: user administration on the queen's machine. Wiring only. */
import { ConfigError } from '../../server/errors.ts';
import { CliUsageError } from './config.ts';
import { USERS_USAGE, runUsersCli } from './users-commands.ts';

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
  process.exitCode = err instanceof CliUsageError || err instanceof ConfigError ? 2 : 1;
}
