/**
 * A project's write-only values — secret env vars and clone credentials — sealed with the
 * secret box before they reach the database, and opened only to build a drone assignment.
 * Nothing here ever returns a value to an API caller: views get names and kinds only.
 */
import type { SecretBox } from '../auth/secret-box.ts';
import type { Project } from '../db/projects.ts';
import type { CheckoutSpec } from '../../common/protocol/index.ts';
import { parseKnownHosts } from '../../common/git/known-hosts.ts';

export type CloneCredentials = NonNullable<CheckoutSpec['credentials']>;

/** Applies `{NAME: value | null}` (null deletes) to the sealed map. */
export function mergeSealedSecrets(
  box: SecretBox,
  current: Record<string, string>,
  changes: Record<string, string | null>,
): Record<string, string> {
  const next = { ...current };
  for (const [name, value] of Object.entries(changes)) {
    if (value === null) delete next[name];
    else next[name] = box.seal(value);
  }
  return next;
}

/** What a request may send (clone-credentials-schema.ts): `knownHosts: null` removes them. */
export type CredentialsChange = Omit<CloneCredentials, 'knownHosts'> & { knownHosts?: string | null };

export function sealCredentials(box: SecretBox, credentials: CloneCredentials | null): string | null {
  return credentials ? box.seal(JSON.stringify(credentials)) : null;
}

/**
 * The credentials after a change. A token replaces everything. SSH's two fields may come
 * apart: one left out keeps its stored value (a deploy key is write-only, so a form that
 * changes the known hosts cannot send it back), `knownHosts: null` removes the known hosts.
 */
export function mergeCredentials(change: CredentialsChange | null, stored: CloneCredentials | undefined): CloneCredentials | null {
  if (!change) return null;
  if (change.password !== undefined) return { ...(change.username !== undefined && { username: change.username }), password: change.password };
  const sshKey = change.sshKey ?? stored?.sshKey;
  const knownHosts = change.knownHosts === undefined ? stored?.knownHosts : change.knownHosts ?? undefined;
  if (!sshKey && !knownHosts) return null;
  return { ...(sshKey && { sshKey }), ...(knownHosts && { knownHosts }) };
}

export function openSecrets(box: SecretBox, project: Pick<Project, 'secretsEnc'>): Record<string, string> {
  return Object.fromEntries(Object.entries(project.secretsEnc).map(([k, v]) => [k, box.open(v)]));
}

export function openCredentials(box: SecretBox, project: Pick<Project, 'cloneCredentialsEnc'>): CloneCredentials | undefined {
  return project.cloneCredentialsEnc ? (JSON.parse(box.open(project.cloneCredentialsEnc)) as CloneCredentials) : undefined;
}

/**
 * What the API shows of the credentials: their kind, the user name, and for SSH whether
 * there is a deploy key and which host keys are trusted (public: hosts and fingerprints).
 */
export function describeCredentials(box: SecretBox, project: Pick<Project, 'cloneCredentialsEnc'>) {
  const c = openCredentials(box, project);
  if (!c) return null;
  if (c.password) return { type: 'https' as const, username: c.username ?? null };
  return {
    type: 'ssh' as const,
    deployKey: !!c.sshKey,
    /** null: host keys are pinned on first use (host-key-check.ts). */
    knownHosts: c.knownHosts
      ? parseKnownHosts(c.knownHosts).map(({ marker, hosts, keyType, fingerprint }) => ({ ...(marker && { marker }), hosts, keyType, fingerprint }))
      : null,
  };
}
