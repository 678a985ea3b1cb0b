/**
 * What happens to a webhook, whichever forge sent it:
 *
 *   payload names no repository        → 202 ignored (nothing to verify against; nothing stored)
 *   no project for the repository, or
 *   signature/token matches no project → 401, the same answer for both, nothing stored
 *                                        (so nobody learns which repositories Hive builds;
 *                                        the queen's log says which it was)
 *   delivery id seen before            → the first delivery's answer, nothing new created
 *   ping                               → 200
 *   otherwise                          → the project's branch rules decide: 202 {jobs} or 202 {ignored}
 *
 * Several projects may share one repository (each with its own webhook and secret);
 * a delivery goes to the projects whose secret it proves. Jobs are only inserted here —
 * the spec resolver fetches and compiles them afterwards — so the answer takes
 * milliseconds, well within GitHub's and GitLab's delivery timeouts.
 */
import type { SecretBox } from '../auth/secret-box.ts';
import type { Db } from '../db/client.ts';
import type { Job } from '../db/jobs.ts';
import { listWebhookCandidates, type Project } from '../db/projects.ts';
import {
  claimDelivery, findDelivery, PROCESSING, recordDeliveryOutcome, releaseDelivery, type WebhookDelivery,
} from '../db/webhook-deliveries.ts';
import { randomBytes } from 'node:crypto';
import type { AuthFailures } from '../auth/auth-failures.ts';
import { UnauthorizedError } from '../errors.ts';
import type { JobControl } from '../jobs/job-control.ts';
import type { Logger } from '../logger.ts';
import { openProjectSecret } from './open-project-secret.ts';
import { decide } from './branch-rules.ts';
import { repoUrlKey } from './repo-url.ts';
import type { ForgeProvider, RepoIdentity, WebhookEvent } from './trigger.ts';

export interface IncomingWebhook {
  provider: ForgeProvider;
  /** The forge's event name (`push`, `Merge Request Hook` …). */
  event: string;
  /** The forge's delivery id; a hash of the body when the forge sends none. */
  deliveryId: string;
  repo: RepoIdentity | undefined;
  /** The client's address, for the log of rejected signatures. */
  source?: string;
  /** Whether the request proves knowledge of this webhook secret. */
  verify(secret: string): Promise<boolean> | boolean;
  parse(): WebhookEvent;
}

export interface WebhookAnswer {
  status: 200 | 202;
  body: { pong?: true; jobs?: string[]; ignored?: string; duplicate?: true };
}

export interface ReceiverDeps {
  db: Db;
  secretBox: SecretBox;
  control: JobControl;
  log: Logger;
  authFailures?: AuthFailures;
}

export class WebhookReceiver {
  constructor(private readonly deps: ReceiverDeps) {}

  async receive(hook: IncomingWebhook): Promise<WebhookAnswer> {
    if (!hook.repo) return { status: 202, body: { ignored: 'the payload names no repository; add the webhook to a repository or project' } };
    const candidates = await this.#candidates(hook.provider, hook.repo);
    // Without a project there is no secret to check, but the delivery still costs a check
    // against a random one, so neither the answer nor its time tells which repositories exist.
    const projects = candidates.length > 0 ? await this.#verified(hook, candidates) : (await hook.verify(randomBytes(32).toString('hex')), []);
    if (projects.length === 0) {
      const name = hook.repo.fullName ?? hook.repo.urls[0] ?? 'unknown';
      const reason = candidates.length === 0
        ? `no project for ${hook.provider} repository "${name}" (set a project's forgeRepo to it, or its repoUrl to the repository's clone URL)`
        : `the signature matches no webhook secret of the projects for ${hook.provider} repository "${name}"`;
      if (this.deps.authFailures) this.deps.authFailures.report('webhook', hook.source ?? 'unknown', reason, { provider: hook.provider, deliveryId: hook.deliveryId });
      else this.deps.log.warn({ provider: hook.provider, deliveryId: hook.deliveryId }, `webhook refused: ${reason}`);
      throw new UnauthorizedError(
        hook.provider === 'github'
          ? 'X-Hub-Signature-256 is missing or does not match the webhook secret of a Hive project for this repository (its forgeRepo or repoUrl must name the repository)'
          : 'X-Gitlab-Token does not match the webhook secret of a Hive project for this repository (its forgeRepo or repoUrl must name the repository)',
      );
    }

    const delivery = await claimDelivery(this.deps.db, {
      provider: hook.provider, deliveryId: hook.deliveryId, event: hook.event, projectId: projects[0].id,
    });
    if (!delivery) {
      const first = await findDelivery(this.deps.db, hook.provider, hook.deliveryId);
      this.deps.log.info({ provider: hook.provider, deliveryId: hook.deliveryId, outcome: first?.outcome }, 'webhook redelivered; answering as before');
      const answer = answerFor(first);
      return { ...answer, body: { ...answer.body, duplicate: true } };
    }
    try {
      const { outcome, jobs } = await this.#act(hook.parse(), projects);
      await recordDeliveryOutcome(this.deps.db, delivery.id, outcome, jobs.map((j) => j.id));
      this.deps.log.info(
        { provider: hook.provider, event: hook.event, deliveryId: hook.deliveryId, project: projects[0].name, outcome, jobs: jobs.map((j) => j.id) },
        'webhook received',
      );
      return answerFor({ outcome, jobIds: jobs.map((j) => j.id) });
    } catch (err) {
      // Let the forge's retry do it again rather than answer "duplicate" for nothing.
      await releaseDelivery(this.deps.db, delivery.id).catch((e) => this.deps.log.error({ err: e }, 'could not release a failed delivery'));
      throw err;
    }
  }

  async #candidates(provider: ForgeProvider, repo: RepoIdentity): Promise<Project[]> {
    const rows = await listWebhookCandidates(this.deps.db, provider, repo.fullName);
    const named = rows.filter((p) => p.forgeRepo);
    if (named.length > 0) return named;
    const keys = new Set(repo.urls.map(repoUrlKey).filter(Boolean));
    return rows.filter((p) => keys.has(repoUrlKey(p.repoUrl)));
  }

  async #verified(hook: IncomingWebhook, candidates: Project[]): Promise<Project[]> {
    const verified: Project[] = [];
    for (const project of candidates) {
      if (!project.webhookSecretEnc) continue;
      const secret = openProjectSecret(this.deps, project.id, project.webhookSecretEnc, 'the webhook secret cannot be decrypted');
      if (secret !== undefined && (await hook.verify(secret))) verified.push(project);
    }
    return verified;
  }

  async #act(event: WebhookEvent, projects: Project[]): Promise<{ outcome: string; jobs: Job[] }> {
    if (event.kind === 'ping') return { outcome: 'pong', jobs: [] };
    if (event.kind === 'ignored') return { outcome: `ignored: ${event.reason}`, jobs: [] };
    const { trigger } = event;
    const jobs: Job[] = [];
    let outcome: string | undefined;
    for (const project of projects) {
      const decision = decide(trigger, project.branchRules);
      if (!decision.build) {
        outcome ??= `${decision.skipped ? 'skipped' : 'ignored'}: ${decision.reason}`;
        continue;
      }
      let job: Job;
      try {
        job = await this.deps.control.trigger(project, { type: 'TEST', ref: trigger.ref, trigger: trigger.trigger });
      } catch (err) {
        // One project: fail the delivery so the forge retries. Several: keep what the others got.
        if (projects.length === 1) throw err;
        this.deps.log.error({ err, projectId: project.id }, 'queueing a webhook build failed');
        continue;
      }
      jobs.push(job);
      if (project.branchRules.cancelSuperseded) {
        // In the background: the forge is waiting for the answer, and a cancel tells drones.
        this.deps.control.cancelSuperseded(job).catch((err) => this.deps.log.error({ err, jobId: job.id }, 'cancelling superseded builds failed'));
      }
    }
    return jobs.length > 0 ? { outcome: 'queued', jobs } : { outcome: outcome ?? 'ignored', jobs };
  }
}

/** The answer a delivery's stored outcome stands for (also for redeliveries). */
function answerFor(d: Pick<WebhookDelivery, 'outcome' | 'jobIds'> | undefined): WebhookAnswer {
  if (!d) return { status: 202, body: { ignored: 'duplicate delivery' } };
  if (d.outcome === 'pong') return { status: 200, body: { pong: true } };
  if (d.outcome === 'queued') return { status: 202, body: { jobs: d.jobIds } };
  if (d.outcome === PROCESSING) return { status: 202, body: { ignored: 'this delivery is being processed' } };
  return { status: 202, body: { ignored: d.outcome.replace(/^(ignored|skipped): /, '') } };
}
