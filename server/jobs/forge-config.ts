/**
 * `.hive.yml` of a pushed commit without git on the queen: a webhook names the commit, and
 * the forge's API (server/forges/repo-file.ts) reads the file at it with the project's
 * forge token — one HTTPS request to the forge instead of a fetch from it before the job
 * can be assigned. Used for webhook jobs that name a full commit and no special ref (not a
 * pull request, whose merge ref the queen checks with git: pull-request-ref.ts), of a
 * project with a provider, a repository and a forge token that opens. Whatever the API
 * cannot answer clearly falls back to git, as every other job resolves.
 *
 * Answers are kept per (project, commit) for a matrix's jobs and re-deliveries (bounded):
 * a commit's file never changes. The token's right to read the repository is what the
 * answer rests on, as the project's clone credentials are for a fetch; the drone still
 * fetches the commit with those.
 */
import type { SecretBox } from '../auth/secret-box.ts';
import type { Job } from '../db/jobs.ts';
import type { Project } from '../db/projects.ts';
import { openProjectSecret } from '../forges/open-project-secret.ts';
import { readRepoFileFromForge } from '../forges/repo-file.ts';
import { isObjectId } from '../../common/git/object-id.ts';
import type { Logger } from '../logger.ts';

export interface ForgeConfigDeps {
  secretBox: SecretBox;
  log: Logger;
  /** `.hive.yml` larger than this is refused (the same limit as the mirrors'). */
  maxBytes: number;
  /** A forge that has not answered by then is given up for git. */
  timeoutMs: number;
}

/** The commit and its `.hive.yml` (undefined: none). */
export interface ForgeConfig {
  sha: string;
  yml: string | undefined;
}

const KEPT = 1_000;

export class ForgeConfigReader {
  readonly #kept = new Map<string, string | null>();

  constructor(private readonly deps: ForgeConfigDeps) {}

  /** The commit and its `.hive.yml` for a job the API can serve, or undefined (resolve with git). */
  async read(project: Project, job: Pick<Job, 'id' | 'ref' | 'trigger'>): Promise<ForgeConfig | undefined> {
    const sha = job.ref.sha?.toLowerCase();
    if (job.trigger.source.type !== 'webhook' || !sha || !isObjectId(sha) || job.ref.refspec || job.ref.pullRequest) return undefined;
    if (!project.provider || !project.forgeRepo || !project.forgeTokenEnc) return undefined;
    const key = `${project.id}\n${sha}`;
    const kept = this.#kept.get(key);
    if (kept !== undefined) return { sha, yml: kept ?? undefined };
    const token = openProjectSecret(this.deps, project.id, project.forgeTokenEnc, 'the forge token cannot be decrypted; .hive.yml is read with git');
    if (token === undefined) return undefined;
    const answer = await readRepoFileFromForge(
      { provider: project.provider, apiUrl: project.forgeApiUrl, repo: project.forgeRepo, token },
      sha, '.hive.yml', { maxBytes: this.deps.maxBytes, timeoutMs: this.deps.timeoutMs },
    );
    if (answer.kind === 'unknown') {
      this.deps.log.info({ jobId: job.id, why: answer.why }, '.hive.yml not read through the forge API; fetching with git');
      return undefined;
    }
    const yml = answer.kind === 'file' ? answer.text : undefined;
    this.#kept.set(key, yml ?? null);
    if (this.#kept.size > KEPT) this.#kept.delete(this.#kept.keys().next().value!);
    return { sha, yml };
  }
}
