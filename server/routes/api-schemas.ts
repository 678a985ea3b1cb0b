/** Request bodies and queries of the REST API, validated with zod. */
import { z } from 'zod';
import { MAX_REGISTRY_LOGINS } from '../jobs/registry-logins.ts';
import { JOB_TYPES, WORKSPACE_MODES } from '../../common/protocol/index.ts';
import { MAX_WORKSPACE_CACHES, workspaceCacheProblem } from '../../common/workspace-caches.ts';
import { projectConfigSchema } from '../jobs/repo-config.ts';
import { paramValues, parameterDefs } from '../jobs/job-params.ts';
import { schedulesSchema } from '../schedules/schedule-schema.ts';
import { cloneCredentials } from './clone-credentials-schema.ts';

/** A branch name git would accept (git check-ref-format rules that matter here). */
export const branchName = z
  .string()
  .min(1)
  .max(255)
  .refine(
    (b) => !/(^[-/.]|\.\.|[\s~^:?*[\\\x00-\x1f\x7f]|@\{|\/\/|\/$|\.lock$|\.$)/.test(b),
    'is not a valid branch name',
  );
export const commitSha = z.string().regex(/^[0-9a-f]{7,64}$/i, 'must be a hexadecimal commit id');

/** A clone URL or local path, without credentials (those belong in the project's credential fields). */
export const repoUrl = z
  .string()
  .min(1)
  .max(2000)
  .refine((u) => !/\s/.test(u), 'must not contain spaces')
  .refine((u) => !/^[a-z][a-z0-9+.-]*:\/\/[^/@]*:[^/@]*@/i.test(u), 'must not contain a password');

export const pluginRef = z.strictObject({
  name: z.string().min(1).max(214),
  enabled: z.boolean().default(true),
  config: z.record(z.string(), z.unknown()).default({}),
});

const envName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be a valid environment variable name').max(200);

const branchGlob = z.string().min(1).max(255).refine((g) => !/\s/.test(g), 'must not contain spaces');

/** Which webhook triggers build (see server/forges/branch-rules.ts). */
export const branchRules = z.strictObject({
  include: z.array(branchGlob).max(100).optional(),
  exclude: z.array(branchGlob).max(100).optional(),
  pullRequests: z.boolean().optional(),
  forks: z.boolean().optional(),
  tags: z.boolean().optional(),
  skipDrafts: z.boolean().optional(),
  cancelSuperseded: z.boolean().optional(),
});

const httpUrl = z.string().max(2000).refine((u) => {
  try {
    return ['http:', 'https:'].includes(new URL(u).protocol);
  } catch {
    return false;
  }
}, 'must be an http(s) URL');

/** −100…100; higher goes first. */
export const priority = z.number().int().min(-100).max(100);

/** A path an incremental workspace keeps between builds (common/workspace-caches.ts). */
const workspaceCache = z.string().superRefine((entry, ctx) => {
  const problem = workspaceCacheProblem(entry);
  if (problem) ctx.addIssue({ code: 'custom', message: `${JSON.stringify(entry.slice(0, 100))} ${problem}` });
});

/**
 * A registry as the engine names it: a host, with a port if any (`ghcr.io`,
 * `registry.example.com:5000`) — or as Docker's configuration does (`https://…`, and
 * Docker Hub's `https://index.docker.io/v1/`); stored as the bare host.
 */
const registryHost = z.string().max(255)
  .regex(/^(?:https?:\/\/)?[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:\d{1,5})?(?:\/v1)?\/?$/i, 'must be a registry host, like "ghcr.io" or "registry.example.com:5000"');

export const createProjectBody = z.strictObject({
  name: z.string().trim().min(1).max(100).regex(/^[\w.\- ]+$/, 'may contain letters, digits, spaces, ".", "_" and "-"'),
  repoUrl,
  defaultBranch: branchName.optional(),
  plugins: z.array(pluginRef).max(100).optional(),
  config: projectConfigSchema.optional(),
  /** Write-only secret env vars: a value sets, null removes. Masked in every log line. */
  secrets: z.record(envName, z.string().min(1).max(64 * 1024).nullable()).optional(),
  /** Write-only clone credentials; null removes them. */
  credentials: cloneCredentials.nullable().optional(),
  /**
   * Logins to container registries for the project's images: registry host → its user
   * name and password (write-only), or null to remove it. Merged into the stored ones.
   */
  registryLogins: z.record(registryHost, z.strictObject({
    username: z.string().min(1).max(512),
    password: z.string().min(1).max(8192),
  }).nullable()).refine((logins) => Object.keys(logins).length <= MAX_REGISTRY_LOGINS, `at most ${MAX_REGISTRY_LOGINS} registries`).optional(),
  /** The forge that sends webhooks and receives commit statuses. */
  provider: z.enum(['github', 'gitlab']).nullable().optional(),
  /** `owner/name` (GitLab: the path with namespace); derived from repoUrl when a provider is set without it. */
  forgeRepo: z.string().max(500).regex(/^[\w.-]+(\/[\w.-]+)+$/, 'must be "owner/name" (GitLab: "group/subgroup/name")').nullable().optional(),
  /** GitHub Enterprise (`https://host/api/v3`) or self-hosted GitLab (`https://host/api/v4`); null: the public service. */
  forgeApiUrl: httpUrl.nullable().optional(),
  /** Write-only token for commit statuses; null removes it. */
  forgeToken: z.string().min(1).max(10_000).nullable().optional(),
  /** Write-only; generated (and shown once) when a project is created without one. */
  webhookSecret: z.string().min(16).max(1000).optional(),
  branchRules: branchRules.optional(),
  /** `.hive.yml` may ask for trusted settings (privileged, lifted limits); never for forks. */
  trusted: z.boolean().optional(),
  /** Priority of the project's jobs when a trigger names none. */
  defaultPriority: priority.optional(),
  /** At most this many of its jobs assigned or running at once; null: no limit. */
  maxConcurrent: z.number().int().min(1).max(10_000).nullable().optional(),
  /** Badges of a private project need authentication. */
  private: z.boolean().optional(),
  /** How drones prepare a build's directory: a kept work tree brought up to date, or a new clone. */
  workspace: z.enum(WORKSPACE_MODES).optional(),
  /** Ignored paths an incremental workspace keeps between builds (gitignore patterns); null clears them. */
  workspaceCaches: z.array(workspaceCache).max(MAX_WORKSPACE_CACHES).nullable().optional()
    .transform((caches) => (caches === null ? [] : caches)),
  /** What a trigger may set (`params`): names, descriptions, defaults, choices (job-params.ts). */
  parameters: parameterDefs.optional(),
  /** Timed triggers: `[{name, cron, branch?, type?, params?, enabled?, timezone?}]` (schedule-schema.ts). */
  schedules: schedulesSchema(branchName).optional(),
});

export const updateProjectBody = createProjectBody.partial();

export const triggerJobBody = z.strictObject({
  branch: branchName.optional(),
  sha: commitSha.optional(),
  type: z.enum(JOB_TYPES).default('TEST'),
  message: z.string().max(10_000).optional(),
  /** Default: the project's `defaultPriority`. */
  priority: priority.optional(),
  /** Values of the project's declared parameters (checked by resolveParams); the job's env vars. */
  params: paramValues.optional(),
});

/** `POST /api/projects/:id/runs`: a trigger's fields plus how many jobs of the one commit. */
export const triggerRunBody = triggerJobBody.extend({
  times: z.number({ error: 'must be a whole number from 1 to 100' }).int('must be a whole number from 1 to 100')
    .min(1, 'must be at least 1').max(100, 'must be at most 100').default(1),
});

export const jobListQuery = z.object({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  before: z.coerce.number().int().min(1).optional(),
});

export { uuid } from '../../common/uuid.ts';
