/**
 * Reports job states to the forge as commit statuses (GitHub's and GitLab's commit status
 * APIs), for projects with a provider, a `forgeRepo` and a forge token.
 *
 * Contract:
 * - `report(job)` is called for every 'job-status' event, in the order they happen, and
 *   returns at once; delivery runs in the background and never throws.
 * - Per commit and context only the newest wish counts and requests go out one at a time,
 *   so a slow `pending` can never land after the `success` that followed it; a state
 *   superseded while waiting for a retry is dropped in favour of the newer one.
 * - 5xx, 429 and network errors are retried with exponential backoff (bounded); other
 *   answers (401, 404, 422 …) are logged once. Nothing here changes a job's outcome, and
 *   no token is ever logged.
 */
import type { SecretBox } from '../auth/secret-box.ts';
import type { Db } from '../db/client.ts';
import type { Job } from '../db/jobs.ts';
import { findProject } from '../db/projects.ts';
import type { Logger } from '../logger.ts';
import { openProjectSecret } from './open-project-secret.ts';
import { commitStatusFor, type CommitStatus, type ForgeRequest } from './commit-status.ts';
import { githubStatusRequest } from './github.ts';
import { gitlabStatusRequest } from './gitlab.ts';

export interface StatusReporterDeps {
  db: Db;
  secretBox: SecretBox;
  log: Logger;
  /** Base of the job links (`${publicUrl}/jobs/<id>`). */
  publicUrl: string;
  /** Tries per status before giving up (default 5). */
  maxAttempts?: number;
  /** First retry delay; doubles with each try (default 500 ms). */
  backoffMs?: number;
  /** Per request (default 10 s). */
  timeoutMs?: number;
}

interface Wish {
  job: Job;
  status: CommitStatus;
  version: number;
}

type Outcome = { ok: true } | { ok: false; retry: boolean; reason: string; retryAfterMs?: number };

const MAX_RETRY_AFTER_MS = 60_000;

export class CommitStatusReporter {
  readonly #wishes = new Map<string, Wish>();
  readonly #draining = new Map<string, Promise<void>>();
  readonly #abort = new AbortController();
  #version = 0;

  constructor(private readonly deps: StatusReporterDeps) {}

  report(job: Job): void {
    if (this.#abort.signal.aborted) return;
    const status = commitStatusFor(job, this.deps.publicUrl);
    if (!status) return;
    const key = `${job.projectId}:${status.sha}:${status.context}`;
    const current = this.#wishes.get(key);
    if (current && current.job.number > job.number) return; // news of an older build of the same commit
    this.#wishes.set(key, { job, status, version: ++this.#version });
    // Started in a later microtask, so the entry exists before the drain can remove it.
    if (!this.#draining.has(key)) this.#draining.set(key, Promise.resolve().then(() => this.#drain(key)));
  }

  /** Resolves once nothing is being sent or waiting for a retry. */
  async idle(): Promise<void> {
    while (this.#draining.size > 0) await Promise.all(this.#draining.values());
  }

  /** Drops pending retries and aborts requests in flight. */
  async stop(): Promise<void> {
    this.#abort.abort();
    await this.idle();
  }

  async #drain(key: string): Promise<void> {
    try {
      for (;;) {
        const wish = this.#wishes.get(key);
        if (!wish || this.#abort.signal.aborted) break;
        await this.#deliver(key, wish);
        if (this.#wishes.get(key)?.version === wish.version) {
          this.#wishes.delete(key);
          break;
        }
      }
    } catch (err) {
      this.deps.log.error({ err, key }, 'commit status reporting failed');
      this.#wishes.delete(key);
    } finally {
      this.#draining.delete(key);
    }
  }

  async #deliver(key: string, wish: Wish): Promise<void> {
    const project = await findProject(this.deps.db, wish.job.projectId);
    if (!project?.provider || !project.forgeRepo || !project.forgeTokenEnc) return;
    const token = openProjectSecret(this.deps, project.id, project.forgeTokenEnc, 'the forge token cannot be decrypted; no commit status sent');
    if (token === undefined) return;
    const build = project.provider === 'github' ? githubStatusRequest : gitlabStatusRequest;
    const request = build(project.forgeApiUrl, project.forgeRepo, token, wish.status);
    const context = {
      jobId: wish.job.id, provider: project.provider, repo: project.forgeRepo, sha: wish.status.sha, state: wish.status.state,
    };
    const maxAttempts = this.deps.maxAttempts ?? 5;
    for (let attempt = 1; ; attempt++) {
      const outcome = await this.#send(request);
      if (outcome.ok) {
        this.deps.log.debug(context, 'commit status reported');
        return;
      }
      if (!outcome.retry || attempt >= maxAttempts || this.#abort.signal.aborted) {
        this.deps.log.warn({ ...context, attempt, reason: outcome.reason }, 'could not report the commit status');
        return;
      }
      const delay = outcome.retryAfterMs ?? (this.deps.backoffMs ?? 500) * 2 ** (attempt - 1);
      this.deps.log.info({ ...context, attempt, reason: outcome.reason, retryInMs: delay }, 'commit status not accepted; retrying');
      await this.#sleep(delay);
      // Something newer arrived meanwhile: send that instead of this one.
      if (this.#wishes.get(key)?.version !== wish.version) return;
    }
  }

  async #send(request: ForgeRequest): Promise<Outcome> {
    let res: Response;
    try {
      res = await fetch(request.url, {
        method: 'POST',
        headers: { ...request.headers, 'content-type': 'application/json', 'user-agent': 'hive-ci' },
        body: JSON.stringify(request.body),
        signal: AbortSignal.any([this.#abort.signal, AbortSignal.timeout(this.deps.timeoutMs ?? 10_000)]),
      });
    } catch (err) {
      return { ok: false, retry: true, reason: err instanceof Error ? `${err.name}: ${err.message}` : String(err) };
    }
    const text = await res.text().catch(() => '');
    if (res.ok) return { ok: true };
    const retryAfter = Number(res.headers.get('retry-after'));
    const retryAfterMs = Number.isFinite(retryAfter) && retryAfter > 0 ? Math.min(retryAfter * 1000, MAX_RETRY_AFTER_MS) : undefined;
    // 403 with Retry-After is GitHub's secondary rate limit: worth waiting for.
    const retry = res.status >= 500 || res.status === 429 || (res.status === 403 && retryAfterMs !== undefined);
    return { ok: false, retry, retryAfterMs, reason: `HTTP ${res.status}: ${text.replace(/\s+/g, ' ').slice(0, 300)}` };
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      timer.unref();
      const signal = this.#abort.signal;
      signal.addEventListener('abort', done, { once: true });
      function done() {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        resolve();
      }
    });
  }
}
