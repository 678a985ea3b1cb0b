/** Turns the write-only parts of a project request (secrets, credentials) into sealed columns. */
import type { SecretBox } from '../auth/secret-box.ts';
import type { NewProject, Project } from '../db/projects.ts';
import { mergeSealedSecrets, sealCredentials, type CloneCredentials } from '../jobs/project-secrets.ts';

export function projectFields(
  box: SecretBox,
  body: { secrets?: Record<string, string | null>; credentials?: CloneCredentials | null },
  existing: Project | undefined,
): Partial<NewProject> {
  const fields: Partial<NewProject> = {};
  if (body.secrets) fields.secretsEnc = mergeSealedSecrets(box, existing?.secretsEnc ?? {}, body.secrets);
  if (body.credentials !== undefined) fields.cloneCredentialsEnc = sealCredentials(box, body.credentials);
  return fields;
}
