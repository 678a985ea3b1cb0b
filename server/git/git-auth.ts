/**
 * Clone credentials for the queen's own git fetches (resolving a commit and reading
 * `.hive.yml` of a private repository), handed to one git process without putting them
 * in a URL, in argv or in the mirror's config — places that end up in logs, `ps` or on disk:
 *
 * - HTTPS token: a `GIT_ASKPASS` script (0700, private temp dir) that prints the user
 *   name or password from variables set only in that git process's environment.
 * - SSH deploy key: a 0600 file used through `GIT_SSH_COMMAND` with `IdentitiesOnly`.
 *
 * The drone does the same in drone/git-credentials.ts (drones import nothing from the queen).
 */
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CheckoutSpec } from '../../common/protocol/index.ts';

export type GitCredentials = NonNullable<CheckoutSpec['credentials']>;

export interface GitAuth {
  env: Record<string, string>;
  /** Values to remove from any message shown to users. */
  secrets: string[];
  dispose(): Promise<void>;
}

/** What GitHub and GitLab accept as the user name of a token. */
const TOKEN_USERNAME = 'x-access-token';

const ASKPASS = `#!/bin/sh
case "$1" in
  [Uu]sername*) printf '%s\\n' "$HIVE_GIT_USERNAME" ;;
  *) printf '%s\\n' "$HIVE_GIT_PASSWORD" ;;
esac
`;

// Batch mode: a missing key or unknown host fails at once instead of waiting for a prompt.
const SSH = 'ssh -o BatchMode=yes -o StrictHostKeyChecking=accept-new';

export async function prepareGitAuth(credentials: GitCredentials | undefined): Promise<GitAuth> {
  const env: Record<string, string> = { GIT_TERMINAL_PROMPT: '0', GIT_SSH_COMMAND: SSH };
  if (!credentials?.password && !credentials?.sshKey) return { env, secrets: [], dispose: async () => {} };
  const dir = await mkdtemp(join(tmpdir(), 'hive-queen-git-'));
  await chmod(dir, 0o700);
  const dispose = () => rm(dir, { recursive: true, force: true });
  const secrets: string[] = [];
  try {
    if (credentials.password) {
      const script = join(dir, 'askpass.sh');
      await writeFile(script, ASKPASS, { mode: 0o700 });
      Object.assign(env, { GIT_ASKPASS: script, HIVE_GIT_USERNAME: credentials.username || TOKEN_USERNAME, HIVE_GIT_PASSWORD: credentials.password });
      secrets.push(credentials.password);
    }
    if (credentials.sshKey) {
      const key = join(dir, 'id');
      await writeFile(key, credentials.sshKey.endsWith('\n') ? credentials.sshKey : `${credentials.sshKey}\n`, { mode: 0o600 });
      env.GIT_SSH_COMMAND = `${SSH} -o IdentitiesOnly=yes -i '${key.replace(/'/g, `'\\''`)}'`;
      secrets.push(credentials.sshKey);
    }
  } catch (err) {
    await dispose();
    throw err;
  }
  return { env, secrets, dispose };
}
