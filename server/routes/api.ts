/**
 * The REST API under /api: JSON in and out, every call authenticated with a bearer
 * token. Validation errors name the field; unknown ids are 404.
 *
 * Everyone signed in reads everything and runs, cancels and re-runs builds; creating,
 * changing and deleting projects, draining drones and managing users need an admin
 * (`adminOnly`, 403 otherwise). README's "Users and roles" says the same to people.
 */
import { Hono, type Context } from 'hono';
import type { PluginRegistry } from '../../plugins/loader.ts';
import type { SecretBox } from '../auth/secret-box.ts';
import type { Db } from '../db/client.ts';
import { findJob, listProjectJobs } from '../db/jobs.ts';
import { listProjectDeliveries } from '../db/webhook-deliveries.ts';
import { listJobCommands, logOf } from '../db/job-log.ts';
import { deleteProject, findProject, findProjectByName, insertProject, listProjects, updateProject, type Project } from '../db/projects.ts';
import { ConflictError, mustExist, NotFoundError, PreconditionFailedError, ValidationError } from '../errors.ts';
import type { JobControl } from '../jobs/job-control.ts';
import { describeZodError } from '../jobs/repo-config.ts';
import type { Logger } from '../logger.ts';
import type { DroneHub } from '../scheduler/drone-hub.ts';
import type { Fleet } from '../scheduler/fleet.ts';
import { droneRoutes } from './api-drones.ts';
import { JobLogRows, jobLogRoutes } from './api-job-log.ts';
import { createProjectBody, jobListQuery, triggerJobBody, updateProjectBody } from './api-schemas.ts';
import { adminOnly, type AuthVariables } from './auth-middleware.ts';
import { deliveryView, jobDetailView, jobSummaryView, projectView } from './json-views.ts';
import { generateWebhookSecret, projectFields } from './project-fields.ts';
import { patchProject } from './project-patch.ts';
import { noneMatchHits, readIfMatch, versionEtag } from './version-precondition.ts';
import { idParam, readBody } from './request-input.ts';
import { pluginListView } from './plugin-config-check.ts';
import { hidePluginSecrets, savePluginList } from './plugin-secrets.ts';
import { tokenRoutes } from './api-tokens.ts';
import { bootstrapTokenRoutes } from './api-bootstrap-tokens.ts';
import { queueRoutes } from './api-queue.ts';
import { droneTokenRoutes } from './api-drone-tokens.ts';
import { QueueView } from '../scheduler/queue-view.ts';
import { userRoutes } from './api-users.ts';
import { runRoutes } from './api-runs.ts';
import { waitMs } from './wait-query.ts';
import type { ResultWaits } from '../jobs/result-waits.ts';
import { isFinal } from '../jobs/job-transitions.ts';
import type { RunControl } from '../jobs/run-control.ts';
import { scheduleRoutes } from './api-schedules.ts';
import type { ScheduleLoop } from '../schedules/schedule-loop.ts';
import { checkScheduleParams } from '../schedules/schedule-params.ts';
import { listUploadFiles } from '../db/uploads.ts';
import { readProjectTrigger, uploadLimitsOf } from './trigger-input.ts';
import type { ChangeFeed } from '../db/change-feed.ts';
import type { LogTextCache } from '../jobs/log-text-cache.ts';

export interface ApiDeps {
  db: Db;
  /** Changes to cached rows, on the embedded database (change-feed.ts). */
  changes?: ChangeFeed;
  /** Log readers' job rows, shared with the read begun before the credential check (api-job-log.ts). */
  logRows?: JobLogRows;
  /** Logs' shared text, kept from stored events too (log-text-cache.ts); one of its own when absent. */
  logTexts?: LogTextCache;
  plugins: PluginRegistry;
  secretBox: SecretBox;
  control: JobControl;
  hub: DroneHub;
  /** The drones of every queen sharing the database (api-drones.ts). */
  fleet: Fleet;
  log: Logger;
  /** Runs of several jobs (api-runs.ts). */
  runs: RunControl;
  /** `?wait=<s>`: answers held until a job or run ends (result-waits.ts). */
  waits: ResultWaits;
  /** Told when a project's schedules change (schedule-loop.ts). */
  schedules: Pick<ScheduleLoop, 'changing' | 'changed'>;
  /** HIVE_MAX_UPLOAD_BYTES and HIVE_MAX_BODY_BYTES: what a trigger may send (trigger-input.ts). */
  maxUploadBytes?: number;
  maxBodyBytes?: number;
}

type Env = { Variables: AuthVariables };

/** Whether the request comes from the CLI (it says so) or another API client. */
function triggerSource(c: Context): 'cli' | 'api' {
  return c.req.header('x-hive-client') === 'cli' ? 'cli' : 'api';
}

export function apiRoutes(deps: ApiDeps) {
  const { db, control, hub, secretBox } = deps;
  const uploadLimits = uploadLimitsOf(deps);
  const queue = new QueueView(deps);
  const api = new Hono<Env>();
  // Secret plugin fields (plugin-secrets.ts) are write-only: answers say which are set.
  const view = (p: Project) => ({ ...projectView(p, secretBox), plugins: hidePluginSecrets(deps.plugins, p.plugins) });
  const projectAdmins = adminOnly('create, change or delete projects');

  // One project's answer carries its version as a strong ETag, for a later If-Match.
  const showProject = (c: Context, p: Project, status: 200 | 201 = 200, extra?: object) => {
    c.header('ETag', versionEtag(p.version));
    return c.json({ ...view(p), ...extra }, status);
  };

  api.get('/projects', async (c) => c.json({ projects: (await listProjects(db)).map(view) }));

  api.post('/projects', projectAdmins, async (c) => {
    const body = await readBody(c, createProjectBody);
    if (body.plugins) body.plugins = savePluginList(secretBox, deps.plugins, body.plugins, []);
    if (await findProjectByName(db, body.name)) throw new ConflictError(`A project named "${body.name}" already exists`);
    const { secrets: _s, registryLogins: _r, credentials: _c, forgeToken: _f, webhookSecret: _w, ...plain } = body;
    // Every project can receive webhooks; a generated secret is shown in this answer only.
    const generated = body.webhookSecret ? undefined : generateWebhookSecret();
    const fields = projectFields(secretBox, { ...body, webhookSecret: body.webhookSecret ?? generated }, undefined);
    if (body.schedules) checkScheduleParams(body.schedules, body.parameters ?? []);
    const project = await insertProject(db, { ...plain, ...fields });
    if (body.schedules?.length) {
      await deps.schedules.changing(project.id, [], body.schedules);
      deps.schedules.changed();
    }
    return showProject(c, project, 201, generated ? { webhookSecret: generated } : undefined);
  });

  api.get('/projects/:id', async (c) => {
    const id = idParam(c, 'Project');
    const project = mustExist(await findProject(db, id), 'Project', id);
    // A client that has this version already (If-None-Match: its ETag) gets no body again.
    if (noneMatchHits(c.req.header('if-none-match'), project.version)) {
      c.header('ETag', versionEtag(project.version));
      return c.body(null, 304);
    }
    return showProject(c, project);
  });

  // If-Match: the version the change was made on, else 412 and nothing written (project-patch.ts).
  api.patch('/projects/:id', projectAdmins, async (c) => {
    const id = idParam(c, 'Project');
    const precondition = readIfMatch(c.req.header('if-match'));
    const body = await readBody(c, updateProjectBody);
    return showProject(c, await patchProject(deps, id, body, precondition));
  });

  /** A new webhook secret, shown in this answer only; the old one stops working at once. */
  api.post('/projects/:id/webhook-secret', projectAdmins, async (c) => {
    const id = idParam(c, 'Project');
    const webhookSecret = generateWebhookSecret();
    const project = mustExist(await updateProject(db, id, { webhookSecretEnc: secretBox.seal(webhookSecret) }), 'Project', id);
    // A change of the project like any other: its new version, so a page that made it can go on saving.
    c.header('ETag', versionEtag(project.version));
    return c.json({ webhookSecret, version: project.version });
  });

  api.get('/projects/:id/webhook-deliveries', async (c) => {
    const id = idParam(c, 'Project');
    if (!(await findProject(db, id))) throw new NotFoundError(`Project ${id} does not exist`);
    return c.json({ deliveries: (await listProjectDeliveries(db, id)).map(deliveryView) });
  });

  // If-Match as for a change: a project changed since the client last read it is not deleted (412).
  api.delete('/projects/:id', projectAdmins, async (c) => {
    const id = idParam(c, 'Project');
    const precondition = readIfMatch(c.req.header('if-match'));
    const deleted = await deleteProject(db, id, precondition.kind === 'one-of' ? precondition.versions : undefined);
    if (deleted === 'changed') {
      const current = mustExist(await findProject(db, id), 'Project', id);
      throw new PreconditionFailedError(`Project ${current.name} was changed since (it is at version ${current.version} now, ETag "${current.version}"): it was not deleted`);
    }
    if (!deleted) throw new NotFoundError(`Project ${id} does not exist`);
    deps.schedules.changed();
    return c.body(null, 204);
  });

  api.post('/projects/:id/jobs', async (c) => {
    const id = idParam(c, 'Project');
    const wait = waitMs(c); // a bad ?wait is refused before anything is queued
    // JSON, or multipart with files (trigger-input.ts); parameters are checked before any file is read.
    const project = mustExist(await findProject(db, id), 'Project', id);
    const { body, params, upload, discard } = await readProjectTrigger(c, triggerJobBody, { db, project, limits: uploadLimits });
    const job = await control.trigger(project, {
      type: body.type,
      ref: { branch: body.branch, sha: body.sha },
      trigger: { source: { type: triggerSource(c) }, author: { username: c.get('actor') }, message: body.message },
      priority: body.priority,
      params,
      uploadId: upload?.uploadId,
    }).catch(async (err) => {
      await discard();
      throw err;
    });
    if (wait !== undefined) {
      await deps.waits.job(job.id, wait, c.req.raw.signal);
      return showJob(c, job.id, true);
    }
    return c.json(jobSummaryView(job), 201);
  });

  api.get('/projects/:id/jobs', async (c) => {
    const id = idParam(c, 'Project');
    const query = jobListQuery.safeParse(c.req.query());
    if (!query.success) throw new ValidationError(describeZodError(query.error));
    if (!(await findProject(db, id))) throw new NotFoundError(`Project ${id} does not exist`);
    const rows = await listProjectJobs(db, id, { limit: query.data.limit + 1, beforeNumber: query.data.before });
    const page = rows.slice(0, query.data.limit);
    const next = rows.length > query.data.limit ? page[page.length - 1].number : null;
    return c.json({ jobs: page.map(jobSummaryView), next });
  });

  api.get('/jobs/:id', async (c) => {
    const id = idParam(c, 'Job');
    const wait = waitMs(c);
    // ?wait: held until the job ends (result-waits.ts); a client that leaves stops the wait, not the job.
    if (wait !== undefined) await deps.waits.job(id, wait, c.req.raw.signal);
    return showJob(c, id, wait !== undefined);
  });

  /** A job as `GET /jobs/:id` shows it; after a `?wait`, 202 while it has not ended. */
  const showJob = async (c: Context, id: string, waited: boolean) => {
    const job = await findJob(db, id);
    if (!job) throw new NotFoundError(`Job ${id} does not exist`);
    // A queued job says where it stands and why it waits, as `GET /api/queue` does.
    const waiting = job.status === 'queued' ? await queue.entry(id) : undefined;
    return c.json({
      ...jobDetailView(job, await listJobCommands(db, logOf(job))),
      // The files sent with its trigger, by name and size (their content only the drone reads).
      files: job.uploadId ? await listUploadFiles(db, job.uploadId) : [],
      ...(waiting && { position: waiting.position, effectivePriority: waiting.effectivePriority, waitingFor: waiting.reason.text }),
    }, waited && !isFinal(job.status) ? 202 : 200);
  };

  api.post('/jobs/:id/cancel', async (c) => {
    const job = await control.cancel(idParam(c, 'Job'), c.get('actor'));
    return c.json(jobSummaryView(job));
  });

  api.post('/jobs/:id/rerun', async (c) => {
    const job = await control.rerun(idParam(c, 'Job'), {
      source: { type: triggerSource(c) },
      author: { username: c.get('actor') },
    });
    return c.json(jobSummaryView(job), 201);
  });

  api.get('/plugins', (c) => c.json(pluginListView(deps.plugins)));

  api.route('/', droneRoutes(deps));
  api.route('/', jobLogRoutes(deps));

  api.route('/queue', queueRoutes(queue));
  api.use('/drone-tokens', adminOnly('manage drone tokens'));
  api.use('/drone-tokens/*', adminOnly('manage drone tokens'));
  api.route('/drone-tokens', droneTokenRoutes(deps));
  api.route('/projects', scheduleRoutes(deps));
  api.route('/', runRoutes(deps));
  api.use('/tokens/bootstrap', adminOnly('list or rotate bootstrap tokens'));
  api.use('/tokens/bootstrap/*', adminOnly('list or rotate bootstrap tokens'));
  api.route('/tokens/bootstrap', bootstrapTokenRoutes(deps));
  api.route('/tokens', tokenRoutes(db));
  api.route('/users', userRoutes(db, deps.log));

  return api;
}
