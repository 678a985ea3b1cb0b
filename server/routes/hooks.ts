/**
 * Webhook endpoints: `POST /hooks/github` and `POST /hooks/gitlab`. No API token: each
 * request proves itself with the project's webhook secret (GitHub's HMAC signature of
 * the exact body, GitLab's secret token). Reading headers and the raw body happens here;
 * what the delivery means is the `WebhookReceiver`'s business.
 */
import { createHash } from 'node:crypto';
import { Hono, type Context } from 'hono';
import { requestAddress } from '../auth/client-address.ts';
import { ValidationError } from '../errors.ts';
import { githubRepo, parseGithubWebhook, verifyGithubSignature } from '../forges/github.ts';
import { gitlabRepo, parseGitlabWebhook, verifyGitlabToken } from '../forges/gitlab.ts';
import type { Json } from '../forges/payload.ts';
import { WebhookReceiver, type ReceiverDeps, type WebhookAnswer } from '../forges/webhook-receiver.ts';
import { replaceBadCharacters } from '../util/bad-chars.ts';

interface RawHook {
  body: string;
  payload: Json;
  event: string;
}

/** The exact body (signatures cover its bytes) and the payload it carries. */
async function readHook(c: Context, eventHeader: string): Promise<RawHook> {
  const event = c.req.header(eventHeader)?.trim();
  if (!event) throw new ValidationError(`The ${eventHeader} header is missing; is this a webhook?`);
  const body = Buffer.from(await c.req.arrayBuffer()).toString('utf8');
  // GitHub lets a webhook send `application/x-www-form-urlencoded` with the JSON in `payload`.
  const form = (c.req.header('content-type') ?? '').startsWith('application/x-www-form-urlencoded');
  let payload: unknown;
  try {
    payload = JSON.parse(form ? new URLSearchParams(body).get('payload') ?? '' : body);
  } catch (cause) {
    throw new ValidationError('The webhook body is not valid JSON', { cause });
  }
  if (!payload || typeof payload !== 'object' || Array.isArray(payload)) throw new ValidationError('The webhook body is not a JSON object');
  // A commit message with NUL or a lone surrogate is the forge's to send and ours to store:
  // replaced by U+FFFD (the signature covers `body`, which stays as it came).
  return { body, payload: replaceBadCharacters(payload as Json), event: event.slice(0, 100) };
}

/** Forges always send a delivery id; should one be missing, the same body is the same delivery. */
const bodyId = (body: string) => `sha256:${createHash('sha256').update(body).digest('hex')}`;

const respond = (c: Context, answer: WebhookAnswer) => c.json(answer.body, answer.status);

export function hookRoutes(deps: ReceiverDeps & { trustProxy?: boolean }) {
  const receiver = new WebhookReceiver(deps);
  const hooks = new Hono();

  hooks.post('/github', async (c) => {
    const hook = await readHook(c, 'x-github-event');
    const signature = c.req.header('x-hub-signature-256');
    return respond(c, await receiver.receive({
      provider: 'github',
      source: requestAddress(c, deps.trustProxy ?? false),
      event: hook.event,
      deliveryId: c.req.header('x-github-delivery')?.slice(0, 200) || bodyId(hook.body),
      repo: githubRepo(hook.payload),
      verify: (secret) => verifyGithubSignature(secret, hook.body, signature),
      parse: () => parseGithubWebhook(hook.event, hook.payload),
    }));
  });

  hooks.post('/gitlab', async (c) => {
    const hook = await readHook(c, 'x-gitlab-event');
    const token = c.req.header('x-gitlab-token');
    // `Idempotency-Key` stays the same across GitLab's retries; the event UUID is shared by
    // every webhook of one event, so it is qualified by the webhook's own UUID.
    const eventUuid = c.req.header('x-gitlab-event-uuid');
    const webhookUuid = c.req.header('x-gitlab-webhook-uuid');
    const deliveryId = c.req.header('idempotency-key') || (eventUuid && (webhookUuid ? `${eventUuid}:${webhookUuid}` : eventUuid));
    return respond(c, await receiver.receive({
      provider: 'gitlab',
      source: requestAddress(c, deps.trustProxy ?? false),
      event: hook.event,
      deliveryId: deliveryId?.slice(0, 200) || bodyId(hook.body),
      repo: gitlabRepo(hook.payload),
      verify: (secret) => verifyGitlabToken(secret, token),
      parse: () => parseGitlabWebhook(hook.event, hook.payload),
    }));
  });

  return hooks;
}
