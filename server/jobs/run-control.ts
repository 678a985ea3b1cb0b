/**
 * The commands users give about runs — trigger N jobs of one commit, cancel a run, re-run
 * it — shared by the API, the web UI and the CLI. Jobs are still cancelled one by one
 * through JobControl, so a run's cancel is exactly its jobs' cancels.
 */
import type { Db } from '../db/client.ts';
import { findProject } from '../db/projects.ts';
import { findRun, listRunJobs, type Run } from '../db/runs.ts';
import type { JobTrigger } from '../db/schema.ts';
import { ConflictError, NotFoundError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import type { JobControl, TriggerRequest } from './job-control.ts';
import type { JobLifecycle } from './job-lifecycle.ts';

export interface RunControlDeps {
  db: Db;
  lifecycle: JobLifecycle;
  control: JobControl;
  log: Logger;
}

export interface RunRequest extends Omit<TriggerRequest, 'runId' | 'matrix'> {
  /** How many jobs of the same commit (1–100, checked by the API). */
  times: number;
}

const UNFINISHED = new Set(['queued', 'assigned', 'running']);

export class RunControl {
  constructor(private readonly deps: RunControlDeps) {}

  /** A run of `times` jobs, queued together; they build one commit (run-commit.ts). */
  async create(projectId: string, request: RunRequest): Promise<Run> {
    const project = await findProject(this.deps.db, projectId);
    if (!project) throw new NotFoundError(`Project ${projectId} does not exist`);
    // The defaults JobControl.trigger applies to a single job.
    const ref = request.ref.branch || request.ref.sha || request.ref.refspec ? request.ref : { branch: project.defaultBranch };
    const settings = {
      projectId,
      type: request.type,
      ref,
      trigger: { ...request.trigger, at: new Date().toISOString() },
      priority: request.priority ?? project.defaultPriority,
      params: request.params ?? {},
      uploadId: request.uploadId,
    };
    const made = await this.deps.lifecycle.createRun(
      { ...settings, times: request.times },
      Array.from({ length: request.times }, () => settings),
    );
    if (!made) throw new NotFoundError(`Project ${projectId} does not exist`);
    this.deps.log.info({ runId: made.run.id, project: project.name, times: request.times, ref }, 'run queued');
    return made.run;
  }

  /**
   * Cancels every unfinished job of the run. Conflict when all had ended already. A job
   * that turns into a matrix while this runs brings siblings, so the jobs are listed again
   * until no new unfinished one appears (a job expands once, so this ends).
   */
  async cancel(runId: string, by: string): Promise<Run> {
    const run = await this.#get(runId);
    const tried = new Set<string>();
    for (;;) {
      const open = (await listRunJobs(this.deps.db, runId)).filter((j) => UNFINISHED.has(j.status) && !tried.has(j.id));
      if (open.length === 0) break;
      for (const job of open) {
        tried.add(job.id);
        try {
          await this.deps.control.cancel(job.id, by);
        } catch (err) {
          if (!(err instanceof ConflictError)) throw err; // it ended meanwhile
        }
      }
    }
    if (tried.size === 0) throw new ConflictError(`Run ${runId} has already ended`);
    return run;
  }

  /**
   * The same run again, as a new run: its commit (when its first job pinned one), type,
   * ref, times, priority, parameters and files. A matrix expands again from that commit.
   */
  async rerun(runId: string, trigger: Omit<JobTrigger, 'at' | 'rerunOf'>): Promise<Run> {
    const original = await this.#get(runId);
    return this.create(original.projectId, {
      type: original.type,
      ref: original.ref,
      trigger: { ...trigger, message: original.trigger.message },
      priority: original.priority,
      params: original.params,
      uploadId: original.uploadId ?? undefined,
      times: original.times,
    });
  }

  async #get(runId: string): Promise<Run> {
    const run = await findRun(this.deps.db, runId);
    if (!run) throw new NotFoundError(`Run ${runId} does not exist`);
    return run;
  }
}
