/** Runs the `hive` command as a user would — its own process, with only the environment given. */
import { execFile } from 'node:child_process';
import { ADMIN_TOKEN } from './queen.ts';
import { hiveCommandArgs } from './built-hive.ts';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** `hive <args>` with PATH and `env` as its whole environment, `stdin` as its input. */
export function runHive(args: string[], options: { env?: Record<string, string | undefined>; stdin?: string } = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, [...hiveCommandArgs, ...args], { env: { PATH: process.env.PATH, ...options.env } }, (err, stdout, stderr) => {
      resolve({ code: err ? (err as { code?: number }).code ?? 1 : 0, stdout, stderr });
    });
    child.stdin!.end(options.stdin ?? '');
  });
}

/** `hive <args>` with HIVE_URL set to the queen and HIVE_TOKEN to `token` (the admin's by default). */
export function runHiveCli(queen: { url: string }, args: string[], token = ADMIN_TOKEN): Promise<CliResult> {
  return runHive(args, { env: { HIVE_URL: queen.url, HIVE_TOKEN: token } });
}
