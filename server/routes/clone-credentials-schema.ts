/**
 * The `credentials` of a project request: an HTTPS token (with an optional user name), or
 * SSH — a deploy key and/or the known hosts its server's key must be among.
 *
 * The two SSH fields may be sent apart: `{knownHosts}` alone keeps a stored deploy key
 * (the key is write-only, so nobody can send it back), `{sshKey}` alone keeps stored known
 * hosts, and `knownHosts: null` removes them (back to pinning the first key seen). How a
 * change combines with what is stored: project-secrets.ts `mergeCredentials`.
 *
 * Checked here so mistakes are a 400 naming the problem, not a build failing later: known
 * hosts line by line (common/git/known-hosts.ts), and a deploy key that is no private key
 * or needs a passphrase (nobody is there to type it).
 */
import { z } from 'zod';
import { MAX_KNOWN_HOSTS_CHARS, normalizeKnownHosts } from '../../common/git/known-hosts.ts';

const knownHosts = z.string().max(MAX_KNOWN_HOSTS_CHARS).transform((text, ctx) => {
  try {
    return normalizeKnownHosts(text);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: (err as Error).message });
    return z.NEVER;
  }
});

const sshKey = z.string().min(1).max(20_000).superRefine((key, ctx) => {
  const problem = deployKeyProblem(key);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

export const cloneCredentials = z
  .strictObject({
    username: z.string().min(1).max(200).optional(),
    password: z.string().min(1).max(10_000).optional(),
    sshKey: sshKey.optional(),
    knownHosts: knownHosts.nullable().optional(),
  })
  .superRefine((c, ctx) => {
    const ssh = c.sshKey !== undefined || c.knownHosts !== undefined;
    if (c.password !== undefined && ssh) ctx.addIssue({ code: 'custom', message: 'give an HTTPS token (password) or SSH credentials (sshKey, knownHosts), not both' });
    else if (c.username !== undefined && c.password === undefined) ctx.addIssue({ code: 'custom', path: ['password'], message: 'is required with a username' });
    else if (c.password === undefined && !ssh) ctx.addIssue({ code: 'custom', message: 'expected a password (HTTPS token), an sshKey or knownHosts' });
  });

export type CredentialsChange = z.output<typeof cloneCredentials>;

/** Why a deploy key cannot be used, or undefined. */
export function deployKeyProblem(key: string): string | undefined {
  if (!key.includes('PRIVATE KEY')) return 'must be a PEM/OpenSSH private key (the public half goes to the forge)';
  if (/Proc-Type:\s*4,ENCRYPTED|BEGIN ENCRYPTED PRIVATE KEY/.test(key) || opensshCipher(key) !== 'none') {
    return 'is protected by a passphrase; a deploy key for Hive needs none (ssh-keygen -t ed25519 -N \'\')';
  }
  return undefined;
}

/** The cipher of an OpenSSH-format key (`none` when not encrypted, or for other formats). */
function opensshCipher(key: string): string {
  const body = /-----BEGIN OPENSSH PRIVATE KEY-----([\s\S]*?)-----END OPENSSH PRIVATE KEY-----/.exec(key)?.[1];
  if (!body) return 'none';
  const blob = Buffer.from(body.replace(/\s+/g, ''), 'base64');
  const magic = 'openssh-key-v1\0';
  if (blob.length < magic.length + 4 || blob.toString('latin1', 0, magic.length) !== magic) return 'none';
  const length = blob.readUInt32BE(magic.length);
  return blob.toString('latin1', magic.length + 4, magic.length + 4 + length);
}
