/**
 * The spec a drone receives: the stored (secret-free) spec plus the project's secrets and
 * clone credentials, opened just for this assignment. Pull requests from forks get no
 * secrets: their code is not trusted with them.
 */
import type { SecretBox } from '../auth/secret-box.ts';
import type { Db } from '../db/client.ts';
import type { Job } from '../db/jobs.ts';
import { findProject } from '../db/projects.ts';
import { ResolveError } from '../errors.ts';
import type { JobSpec } from '../../common/protocol/index.ts';
import { openCredentials, openSecrets } from './project-secrets.ts';

export async function assignmentSpec(db: Db, box: SecretBox, spec: JobSpec, job: Job): Promise<JobSpec> {
  const project = await findProject(db, spec.projectId);
  if (!project) return spec;
  const trusted = job.ref.pullRequest?.fork !== true;
  const credentials = openCredentials(box, project);
  let secrets: Record<string, string> = {};
  if (trusted) {
    const values = openSecrets(box, project);
    secrets = { ...values };
    for (const [envName, secretName] of Object.entries(spec.secretRefs ?? {})) {
      const value = values[secretName];
      if (value === undefined) throw new ResolveError(`The job uses the secret "${secretName}", which project ${project.name} does not have`);
      secrets[envName] = value;
    }
  }
  return {
    ...spec,
    secrets,
    checkout: credentials ? { ...spec.checkout, credentials } : spec.checkout,
  };
}
