/**
 * The spec a drone receives: the stored (secret-free) spec plus the project's secrets and
 * clone credentials, opened just for this assignment. Pull requests from forks get no
 * secrets: their code is not trusted with them.
 */
import type { SecretBox } from '../auth/secret-box.ts';
import type { Db } from '../db/client.ts';
import type { Job } from '../db/jobs.ts';
import { findProject } from '../db/projects.ts';
import type { JobSpec } from '../protocol/index.ts';
import { openCredentials, openSecrets } from './project-secrets.ts';

export async function assignmentSpec(db: Db, box: SecretBox, spec: JobSpec, job: Job): Promise<JobSpec> {
  const project = await findProject(db, spec.projectId);
  if (!project) return spec;
  const trusted = job.ref.pullRequest?.fork !== true;
  const credentials = openCredentials(box, project);
  return {
    ...spec,
    secrets: trusted ? { ...spec.secrets, ...openSecrets(box, project) } : {},
    checkout: credentials ? { ...spec.checkout, credentials } : spec.checkout,
  };
}
