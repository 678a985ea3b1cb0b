/**
 * The known_hosts text a project may give with its SSH credentials (what `ssh-keyscan`
 * prints): the host keys ssh must find, and nothing else, when it fetches the project's
 * repository (host-key-check.ts). Checked here, when an admin saves it, so a typo is a 400
 * naming the line rather than a build that fails later with "Host key verification failed".
 *
 * A line is `[@cert-authority|@revoked] hosts keytype base64-key [comment]` (sshd(8),
 * "SSH_KNOWN_HOSTS FILE FORMAT"); `hosts` is a comma list of names, patterns, `[host]:port`
 * or a hashed `|1|salt|hash`. Blank lines and `#` comments are allowed and dropped.
 */
import { createHash } from 'node:crypto';

export interface KnownHostEntry {
  marker?: '@cert-authority' | '@revoked';
  /** The host field as written (names, patterns or a hash). */
  hosts: string;
  keyType: string;
  /** The key blob, base64 as written. */
  key: string;
  /** As `ssh-keygen -l` prints it: `SHA256:` and the unpadded base64 of the blob's SHA-256. */
  fingerprint: string;
}

export class KnownHostsError extends Error {
  override name = 'KnownHostsError';
}

export const MAX_KNOWN_HOSTS_CHARS = 64 * 1024;
const MAX_ENTRIES = 500;

/** Key types, with the number of SSH strings their public key blob is made of (RFC 4253 §6.6, RFC 5656, PROTOCOL.u2f). */
const KEY_TYPES = new Map([
  ['ssh-ed25519', 2], ['ssh-rsa', 3], ['ssh-dss', 5],
  ['ecdsa-sha2-nistp256', 3], ['ecdsa-sha2-nistp384', 3], ['ecdsa-sha2-nistp521', 3],
  ['sk-ssh-ed25519@openssh.com', 3], ['sk-ecdsa-sha2-nistp256@openssh.com', 4],
]);
// Names, wildcards, negation, [host]:port and IPv6; the hashed form adds base64's + / =.
const HOST_FIELD = /^(\|1\|[A-Za-z0-9+/=]+\|[A-Za-z0-9+/=]+|[A-Za-z0-9.*?!\[\]:_%-]+(,[A-Za-z0-9.*?!\[\]:_%-]+)*)$/;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** The entries of a known_hosts text; throws a KnownHostsError naming the first bad line. */
export function parseKnownHosts(text: string): KnownHostEntry[] {
  if (text.length > MAX_KNOWN_HOSTS_CHARS) throw new KnownHostsError(`known hosts are longer than ${MAX_KNOWN_HOSTS_CHARS} characters`);
  const entries: KnownHostEntry[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (!line || line.startsWith('#')) return;
    try {
      entries.push(parseLine(line));
    } catch (err) {
      throw new KnownHostsError(`known hosts, line ${i + 1}: ${(err as Error).message}`, { cause: err });
    }
  });
  if (entries.length === 0) throw new KnownHostsError('known hosts name no host key (expected lines as ssh-keyscan prints them: "host keytype key")');
  if (entries.length > MAX_ENTRIES) throw new KnownHostsError(`known hosts have more than ${MAX_ENTRIES} entries`);
  return entries;
}

function parseLine(line: string): KnownHostEntry {
  const fields = line.split(/[ \t]+/);
  const marker = fields[0].startsWith('@') ? fields.shift() : undefined;
  if (marker !== undefined && marker !== '@cert-authority' && marker !== '@revoked') {
    throw new Error(`unknown marker ${JSON.stringify(marker)} (expected @cert-authority or @revoked)`);
  }
  const [hosts, keyType, key] = fields;
  if (!hosts || !keyType || !key) throw new Error('expected "host keytype key", as ssh-keyscan prints it');
  if (!HOST_FIELD.test(hosts)) throw new Error(`${JSON.stringify(hosts.slice(0, 100))} is not a host list`);
  if (!KEY_TYPES.has(keyType)) throw new Error(`unknown key type ${JSON.stringify(keyType.slice(0, 100))}`);
  const blob = BASE64.test(key) ? Buffer.from(key, 'base64') : undefined;
  // The blob is its own type and the key's numbers, each a length-prefixed SSH string: a
  // pasted key of another type, or a truncated one, is caught here.
  const parts = blob && sshStrings(blob);
  if (!parts || parts[0].toString('latin1') !== keyType || parts.length !== KEY_TYPES.get(keyType) || (keyType === 'ssh-ed25519' && parts[1].length !== 32)) {
    throw new Error(`the key is not a valid ${keyType} key`);
  }
  const fingerprint = `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
  return { ...(marker && { marker: marker as KnownHostEntry['marker'] }), hosts, keyType, key, fingerprint };
}

/** The SSH strings a blob consists of, or undefined when they do not fill it exactly. */
function sshStrings(blob: Buffer): Buffer[] | undefined {
  const parts: Buffer[] = [];
  for (let at = 0; at < blob.length;) {
    if (at + 4 > blob.length) return undefined;
    const end = at + 4 + blob.readUInt32BE(at);
    if (end > blob.length) return undefined;
    parts.push(blob.subarray(at + 4, end));
    at = end;
  }
  return parts.length ? parts : undefined;
}

/** The text as stored and handed to ssh: one entry a line, comments and blanks dropped. */
export function normalizeKnownHosts(text: string): string {
  return parseKnownHosts(text).map((e) => [e.marker, e.hosts, e.keyType, e.key].filter(Boolean).join(' ')).join('\n') + '\n';
}
