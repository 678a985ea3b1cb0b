/**
 * Hands clone credentials to one git process without putting them in a URL, in argv or
 * in a config file, where they could end up in logs, `ps` output or on disk. The queen
 * (its own fetches of private repositories) and the drone (checkouts) both use it.
 *
 * - HTTPS token (`password`): a tiny `GIT_ASKPASS` script (mode 0700, in a private temp
 *   dir) that prints the username or password from environment variables set only for
 *   that git process.
 * - SSH key (`sshKey`): written to a 0600 file and used through `GIT_SSH_COMMAND` with
 *   `IdentitiesOnly` (so no agent key is tried instead).
 *
 * Always: `GIT_TERMINAL_PROMPT=0` and ssh in batch mode, so a missing or wrong credential
 * fails at once instead of waiting for a prompt nobody will answer.
 */
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CheckoutSpec } from '../protocol/index.ts';

export type GitCredentials = NonNullable<CheckoutSpec['credentials']>;

export interface GitAuth {
  /** Variables to add to the git process's environment. */
  env: Record<string, string>;
  /** Values that must never appear in a message (redacted by the caller). */
  secrets: string[];
  /** Removes the temp files; safe to call more than once. */
  dispose(): Promise<void>;
}

/** The username sent with a token when none is given (GitHub accepts any; GitLab too for PATs). */
export const DEFAULT_TOKEN_USERNAME = 'x-access-token';

const ASKPASS_SCRIPT = `#!/bin/sh
case "$1" in
  [Uu]sername*) printf '%s\\n' "$HIVE_GIT_USERNAME" ;;
  *) printf '%s\\n' "$HIVE_GIT_PASSWORD" ;;
esac
`;

const SSH_BASE = 'ssh -o BatchMode=yes -o StrictHostKeyChecking=accept-new';

export async function prepareGitAuth(credentials: GitCredentials | undefined): Promise<GitAuth> {
  const env: Record<string, string> = { GIT_TERMINAL_PROMPT: '0', GIT_SSH_COMMAND: SSH_BASE };
  const secrets: string[] = [];
  if (!credentials?.password && !credentials?.sshKey) return { env, secrets, dispose: async () => {} };

  const dir = await mkdtemp(join(tmpdir(), 'hive-git-auth-'));
  // Only files we wrote are in it, so a plain forced removal is enough (and idempotent).
  const dispose = () => rm(dir, { recursive: true, force: true });
  try {
    // mkdtemp already makes it 0700 on Linux; said explicitly so a umask or platform cannot widen it.
    await chmod(dir, 0o700);
    if (credentials.password) {
      const script = join(dir, 'askpass.sh');
      await writeFile(script, ASKPASS_SCRIPT, { mode: 0o700 });
      env.GIT_ASKPASS = script;
      env.HIVE_GIT_USERNAME = credentials.username || DEFAULT_TOKEN_USERNAME;
      env.HIVE_GIT_PASSWORD = credentials.password;
      secrets.push(credentials.password);
    }
    if (credentials.sshKey) {
      const keyFile = join(dir, 'id');
      // ssh refuses a key file without a final newline ("invalid format").
      const key = credentials.sshKey.endsWith('\n') ? credentials.sshKey : `${credentials.sshKey}\n`;
      await writeFile(keyFile, key, { mode: 0o600 });
      env.GIT_SSH_COMMAND = `${SSH_BASE} -o IdentitiesOnly=yes -i ${shellQuote(keyFile)}`;
      secrets.push(credentials.sshKey);
    }
  } catch (err) {
    await dispose();
    throw err;
  }
  return { env, secrets, dispose };
}

/** GIT_SSH_COMMAND is run by a shell; quote the path (tmpdir may contain spaces). */
function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}
