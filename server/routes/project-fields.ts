/**
 * Turns the write-only parts of a project request — secrets, registry logins, clone
 * credentials, forge token, webhook secret — into sealed columns, and fills in `forgeRepo` from the clone
 * URL when a provider is set without one.
 */
import { generateToken } from '../auth/tokens.ts';
import type { SecretBox } from '../auth/secret-box.ts';
import type { NewProject, Project } from '../db/projects.ts';
import { forgeRepoFromUrl } from '../forges/repo-url.ts';
import { mergeCredentials, mergeSealedSecrets, openCredentials, sealCredentials, type CredentialsChange } from '../jobs/project-secrets.ts';
import { MAX_REGISTRY_LOGINS, mergeRegistryLogins, type RegistryLoginsChange } from '../jobs/registry-logins.ts';
import { ValidationError } from '../errors.ts';

export interface WriteOnlyFields {
  secrets?: Record<string, string | null>;
  registryLogins?: RegistryLoginsChange;
  credentials?: CredentialsChange | null;
  forgeToken?: string | null;
  webhookSecret?: string;
  provider?: 'github' | 'gitlab' | null;
  forgeRepo?: string | null;
  repoUrl?: string;
}

/** A new webhook secret: random, to be shown once. */
export const generateWebhookSecret = () => generateToken('whsec');

export function projectFields(box: SecretBox, body: WriteOnlyFields, existing: Project | undefined): Partial<NewProject> {
  const fields: Partial<NewProject> = {};
  if (body.secrets) fields.secretsEnc = mergeSealedSecrets(box, existing?.secretsEnc ?? {}, body.secrets);
  if (body.registryLogins) {
    fields.registryLoginsEnc = mergeRegistryLogins(box, existing?.registryLoginsEnc ?? {}, body.registryLogins);
    if (Object.keys(fields.registryLoginsEnc).length > MAX_REGISTRY_LOGINS) {
      throw new ValidationError(`registryLogins: a project has at most ${MAX_REGISTRY_LOGINS} registry logins`);
    }
  }
  if (body.credentials !== undefined) {
    const stored = existing ? openCredentials(box, existing) : undefined;
    fields.cloneCredentialsEnc = sealCredentials(box, mergeCredentials(body.credentials, stored));
  }
  if (body.forgeToken !== undefined) fields.forgeTokenEnc = body.forgeToken === null ? null : box.seal(body.forgeToken);
  if (body.webhookSecret !== undefined) fields.webhookSecretEnc = box.seal(body.webhookSecret);
  if (body.provider && body.forgeRepo === undefined && !existing?.forgeRepo) {
    const derived = forgeRepoFromUrl(body.repoUrl ?? existing?.repoUrl ?? '');
    if (derived) fields.forgeRepo = derived;
  }
  return fields;
}
