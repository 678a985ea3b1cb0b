/**
 * Hands clone credentials to one git process without putting them in a URL, in argv or
 * in a file another process could read, where they could end up in logs, `ps` output or
 * on disk. The queen (its own fetches of private repositories) and the drone (checkouts)
 * both use it.
 *
 * - HTTPS token (`password`): a tiny `GIT_ASKPASS` script (mode 0700, in a private temp
 *   dir) that prints the username or password from environment variables set only for
 *   that git process.
 * - SSH key (`sshKey`): held by a private ssh-agent (ssh-agent.ts) and used through
 *   `GIT_SSH_COMMAND` with `IdentitiesOnly` (so no other key of the host is tried instead);
 *   the key itself is never written to disk.
 * - Host keys (host-key-check.ts): the project's `knownHosts`, strictly, or else the
 *   repository's first-use file.
 *
 * Always: `GIT_TERMINAL_PROMPT=0` and ssh in batch mode, so a missing or wrong credential
 * fails at once instead of waiting for a prompt nobody will answer.
 */
import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { CheckoutSpec } from '../protocol/index.ts';
import { explainHostKeyFailure, hostKeyOptions, shellQuote, type HostKeyPolicy } from './host-key-check.ts';
import { startKeyAgent } from './ssh-agent.ts';

export type GitCredentials = NonNullable<CheckoutSpec['credentials']>;

/** A digest of credentials, to key what was learned with them without keeping a secret. */
export function credentialsDigest(credentials: GitCredentials | undefined): string {
  return createHash('sha256').update(JSON.stringify(credentials ?? null)).digest('base64url');
}

export interface GitAuth {
  /** Variables to add to the git process's environment. */
  env: Record<string, string>;
  /** Values that must never appear in a message (redacted by the caller). */
  secrets: string[];
  /** ssh's refusal of the server's host key said in one line (a HostKeyError), or undefined for other failures. */
  explain(err: unknown): Error | undefined;
  /** Ends the key's agent and removes the temp files; safe to call more than once. */
  dispose(): Promise<void>;
}

export interface GitAuthOptions {
  /** This repository's first-use known_hosts file (host-key-check.ts), used when the credentials name no known hosts. */
  firstUseKnownHosts: string;
  /** The PATH git runs with, to find ssh-agent and ssh-add by. */
  path?: string;
}

/** The username sent with a token when none is given (GitHub accepts any; GitLab too for PATs). */
export const DEFAULT_TOKEN_USERNAME = 'x-access-token';

const ASKPASS_SCRIPT = `#!/bin/sh
case "$1" in
  [Uu]sername*) printf '%s\\n' "$HIVE_GIT_USERNAME" ;;
  *) printf '%s\\n' "$HIVE_GIT_PASSWORD" ;;
esac
`;

const SSH_BASE = 'ssh -o BatchMode=yes';

export async function prepareGitAuth(credentials: GitCredentials | undefined, options: GitAuthOptions): Promise<GitAuth> {
  const env: Record<string, string> = { GIT_TERMINAL_PROMPT: '0' };
  const secrets: string[] = [];
  const policy: HostKeyPolicy = { kind: 'first-use', file: options.firstUseKnownHosts };
  const explain = (err: unknown) => explainHostKeyFailure(err, policy.kind);
  const sshCommand = (identity: string) => `${SSH_BASE} ${hostKeyOptions(policy)}${identity}`;
  if (!credentials?.password && !credentials?.sshKey && !credentials?.knownHosts) {
    // In this thread: on every build's path, and a directory that exists is one system
    // call, where a trip through the thread pool waited its turn ~1–2 ms.
    mkdirSync(dirname(policy.file), { recursive: true, mode: 0o700 });
    env.GIT_SSH_COMMAND = sshCommand('');
    return { env, secrets, explain, dispose: async () => {} };
  }

  const dir = await mkdtemp(join(tmpdir(), 'hive-git-auth-'));
  let stopAgent = async () => {};
  // Only files we wrote are in it, so a plain forced removal is enough (and idempotent).
  const dispose = async () => {
    await stopAgent();
    await rm(dir, { recursive: true, force: true });
  };
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
    if (credentials.knownHosts) {
      policy.kind = 'known-hosts';
      policy.file = join(dir, 'known_hosts');
      await writeFile(policy.file, credentials.knownHosts, { mode: 0o600 });
    } else {
      await mkdir(dirname(policy.file), { recursive: true, mode: 0o700 });
    }
    let identity = '';
    if (credentials.sshKey) {
      secrets.push(credentials.sshKey);
      const agent = await startKeyAgent(dir, credentials.sshKey, options.path);
      stopAgent = agent.stop;
      // IdentityAgent overrides an SSH_AUTH_SOCK of the host; IdentitiesOnly with the public
      // half makes the agent's one key the only one tried (no key of the host's user).
      identity = ` -o IdentitiesOnly=yes -o ${shellQuote(`IdentityAgent=${agent.socket}`)} -o ${shellQuote(`IdentityFile=${agent.publicKeyFile}`)}`;
    }
    env.GIT_SSH_COMMAND = sshCommand(identity);
  } catch (err) {
    await dispose();
    throw err;
  }
  return { env, secrets, explain, dispose };
}
