/**
 * The spec a drone receives: the stored (secret-free) spec plus the project's secrets,
 * registry logins and clone credentials, opened just for this assignment. Pull requests
 * from forks get no secrets nor registry logins: their code is not trusted with them. A `secretRefs` entry `plugin:…` names a
 * secret plugin field the job's plugin passed as env (plugin-secret-spec.ts): its value,
 * opened from the job's stored plugins, joins `secrets` too, so the drone masks it.
 */
import type { SecretBox } from '../auth/secret-box.ts';
import type { Db } from '../db/client.ts';
import type { Job } from '../db/jobs.ts';
import { findProject, type Project } from '../db/projects.ts';
import { ResolveError } from '../errors.ts';
import type { JobSpec } from '../../common/protocol/index.ts';
import { openCredentials, openSecrets } from './project-secrets.ts';
import { openRegistryLogins } from './registry-logins.ts';
import { openPluginSecrets } from './sealed-plugin-config.ts';
import { leafValue } from './plugin-secret-fields.ts';
import { parsePluginSecretRef } from './plugin-secret-spec.ts';

/**
 * The specs of a batch of assignments, each project read once for the batch (a scheduling
 * round assigns many jobs of few projects). Each spec, or why it could not be prepared.
 */
export async function assignmentSpecs(
  db: Db, box: SecretBox, batch: readonly { spec: JobSpec; job: Job }[],
): Promise<PromiseSettledResult<JobSpec>[]> {
  const projects = new Map<string, Promise<Project | undefined>>();
  const projectOf = (id: string) => {
    let found = projects.get(id);
    if (!found) projects.set(id, (found = findProject(db, id)));
    return found;
  };
  return Promise.allSettled(batch.map(async ({ spec, job }) => assignmentSpec(box, spec, job, await projectOf(spec.projectId))));
}

export function assignmentSpec(box: SecretBox, spec: JobSpec, job: Job, project: Project | undefined): JobSpec {
  if (!project) return spec;
  const trusted = job.ref.pullRequest?.fork !== true;
  const credentials = openCredentials(box, project);
  let secrets: Record<string, string> = {};
  if (trusted) {
    const values = openSecrets(box, project);
    secrets = { ...values };
    let plugins: Job['plugins'] | undefined;
    for (const [envName, secretName] of Object.entries(spec.secretRefs ?? {})) {
      const leaf = parsePluginSecretRef(secretName);
      if (leaf) {
        plugins ??= openPluginSecrets(box, job.plugins);
        const value = leafValue(plugins, leaf);
        if (value === undefined) throw new ResolveError(`The job's env var ${envName} comes from plugin "${leaf.plugin}"'s secret field "${leaf.field}", which the job's plugins no longer have`);
        secrets[envName] = value;
        continue;
      }
      const value = values[secretName];
      if (value === undefined) throw new ResolveError(`The job uses the secret "${secretName}", which project ${project.name} does not have`);
      secrets[envName] = value;
    }
  }
  // A fork's build never pulls with the project's logins: its image could be a private one
  // of the project's, whose contents its code could then take away.
  const registryLogins = trusted ? openRegistryLogins(box, project.registryLoginsEnc) : [];
  return {
    ...spec,
    secrets,
    checkout: credentials ? { ...spec.checkout, credentials } : spec.checkout,
    ...(registryLogins.length > 0 && { registryLogins }),
  };
}
