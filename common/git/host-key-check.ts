/**
 * How ssh checks the host key of a repository's server, for the queen's mirrors and the
 * drone's checkouts alike. Two policies:
 *
 * - **known hosts** (the project gave `credentials.knownHosts`): ssh accepts exactly those
 *   keys — `StrictHostKeyChecking=yes` against a file holding them, the host's global file
 *   ignored. An unknown or different key fails the fetch.
 * - **first use** (none given): the key a server shows the first time is recorded in a
 *   known_hosts file of this repository alone (under the queen's or drone's data dir) and
 *   required from then on: a changed key fails the fetch, never silently replaces the old
 *   one. Keys the host's user already trusts (`~/.ssh/known_hosts`, the global file) count
 *   too. To accept a new key, an admin gives the project its known hosts.
 *
 * ssh's complaint on failure is a banner of a dozen lines naming temp files;
 * `explainHostKeyFailure` says it in one line for the job's message.
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';

export type HostKeyPolicy = { kind: 'known-hosts' | 'first-use'; file: string };

/** The first-use known_hosts file of a repository under `dir` (one per URL: trust in one repository's server is not another's). */
export function firstUseKnownHostsFile(dir: string, repoUrl: string): string {
  return join(dir, createHash('sha256').update(repoUrl).digest('hex').slice(0, 24));
}

/** ssh options (shell words for GIT_SSH_COMMAND) that apply the policy. */
export function hostKeyOptions(policy: HostKeyPolicy): string {
  // UpdateHostKeys=no: the server may not add keys of its own to the file; what the file
  // holds is what the project gave, or what was seen first.
  if (policy.kind === 'known-hosts') {
    return `-o StrictHostKeyChecking=yes -o ${shellQuote(`UserKnownHostsFile=${policy.file}`)} -o GlobalKnownHostsFile=/dev/null -o UpdateHostKeys=no`;
  }
  // ssh writes a new key to the first file and reads them all; ssh expands the `~` itself.
  // HashKnownHosts=no keeps the file readable (which host it pins) whatever ssh_config says.
  return `-o StrictHostKeyChecking=accept-new -o ${shellQuote(`UserKnownHostsFile="${policy.file}" ~/.ssh/known_hosts`)} -o UpdateHostKeys=no -o HashKnownHosts=no`;
}

/** ssh refused the server's host key; the message says why in words fit for a job's message. */
export class HostKeyError extends Error {
  override name = 'HostKeyError';
}

/** A HostKeyError when `err` (git's failure, its stderr in the message) is ssh refusing the host key; else undefined. */
export function explainHostKeyFailure(err: unknown, policy: HostKeyPolicy['kind']): HostKeyError | undefined {
  const text = err instanceof Error ? err.message : String(err);
  if (!/Host key verification failed|host key is known for|REVOKED HOST KEY/i.test(text)) return undefined;
  const sent = /fingerprint for the (\S+) key sent by the remote host is\s+(SHA256:[A-Za-z0-9+/]+)/.exec(text);
  const sentText = sent ? ` (the server sent the ${sent[1]} key ${sent[2]})` : '';
  const changed = /Host key for (\S+) has changed/.exec(text);
  const unknown = /No (\S+) host key is known for (\S+) and you have requested strict checking/.exec(text);
  const revoked = /(\S+) host key for (\S+) is marked as revoked/.exec(text);
  const options = { cause: err };
  if (revoked) return new HostKeyError(`the ${revoked[1]} host key of ${revoked[2]} is marked @revoked in the known hosts; nothing was fetched`, options);
  if (changed && policy === 'known-hosts') {
    return new HostKeyError(`the host key of ${changed[1]} did not match the project's known hosts${sentText}; nothing was fetched`, options);
  }
  if (changed) {
    return new HostKeyError(
      `the host key of ${changed[1]} did not match the key recorded when Hive first connected to it (or the host's ~/.ssh/known_hosts)${sentText}; ` +
        'nothing was fetched. If the server\'s key really changed, give the project its known hosts', options);
  }
  if (unknown) {
    return new HostKeyError(`${unknown[2]} is not in the project's known hosts (the server offered an ${unknown[1]} key); nothing was fetched`, options);
  }
  return new HostKeyError('the host key of the repository\'s server could not be verified (ssh: Host key verification failed); nothing was fetched', options);
}

/** GIT_SSH_COMMAND is run by a shell: quote (data dirs may contain spaces). */
export function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}
