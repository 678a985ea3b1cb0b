/** Runs the `hive` API client as a user would — its own process — against a queen. */
import { execFile } from 'node:child_process';
import { ADMIN_TOKEN } from './queen.ts';
import { hiveCommandArgs } from './built-hive.ts';


export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** `hive <args>` with HIVE_URL set to the queen and HIVE_TOKEN to `token` (the admin's by default). */
export function runHiveCli(queen: { url: string }, args: string[], token = ADMIN_TOKEN): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(process.execPath, [...hiveCommandArgs, ...args], { env: { PATH: process.env.PATH, HIVE_URL: queen.url, HIVE_TOKEN: token } }, (err, stdout, stderr) => {
      resolve({ code: err ? (err as { code?: number }).code ?? 1 : 0, stdout, stderr });
    });
  });
}
