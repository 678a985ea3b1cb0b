/** What plugins see of jobs and projects: a narrow, secret-free view. */
import { buildUrl } from '../../common/urls.ts';
import type { PluginJob } from '../../plugins/api.ts';
import type { Job } from '../db/jobs.ts';

export function pluginJobView(job: Job, publicUrl: string): PluginJob {
  const pr = job.ref.pullRequest;
  return {
    id: job.id,
    number: job.number,
    type: job.type,
    status: job.status,
    message: job.message,
    ref: {
      branch: job.ref.branch,
      sha: job.ref.sha ?? job.spec?.checkout.sha,
      tag: job.ref.tag,
      pullRequest: pr ? { number: pr.number, baseBranch: pr.baseBranch, fork: pr.fork } : undefined,
    },
    trigger: {
      source: job.trigger.source,
      author: job.trigger.author ? { name: job.trigger.author.name, username: job.trigger.author.username } : undefined,
      message: job.trigger.message,
    },
    url: buildUrl(publicUrl, job.id),
    startedAt: job.startedAt?.toISOString() ?? null,
    finishedAt: job.finishedAt?.toISOString() ?? null,
    durationMs: job.startedAt && job.finishedAt ? job.finishedAt.getTime() - job.startedAt.getTime() : null,
  };
}
