/**
 * A project's write-only values — secret env vars and clone credentials — sealed with the
 * secret box before they reach the database, and opened only to build a drone assignment.
 * Nothing here ever returns a value to an API caller: views get names and kinds only.
 */
import type { SecretBox } from '../auth/secret-box.ts';
import type { Project } from '../db/projects.ts';
import type { CheckoutSpec } from '../../common/protocol/index.ts';

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

export function sealCredentials(box: SecretBox, credentials: CloneCredentials | null): string | null {
  return credentials ? box.seal(JSON.stringify(credentials)) : null;
}

export function openSecrets(box: SecretBox, project: Pick<Project, 'secretsEnc'>): Record<string, string> {
  return Object.fromEntries(Object.entries(project.secretsEnc).map(([k, v]) => [k, box.open(v)]));
}

export function openCredentials(box: SecretBox, project: Pick<Project, 'cloneCredentialsEnc'>): CloneCredentials | undefined {
  return project.cloneCredentialsEnc ? (JSON.parse(box.open(project.cloneCredentialsEnc)) as CloneCredentials) : undefined;
}

/** What the API shows of the credentials: their kind, and the user name (not secret). */
export function describeCredentials(box: SecretBox, project: Pick<Project, 'cloneCredentialsEnc'>) {
  const c = openCredentials(box, project);
  if (!c) return null;
  return c.sshKey ? { type: 'ssh' as const } : { type: 'https' as const, username: c.username ?? null };
}
