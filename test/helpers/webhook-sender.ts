/**
 * Sends webhooks to a test queen the way GitHub and GitLab do: GitHub's body signed with
 * HMAC-SHA256 by @octokit/webhooks (`X-Hub-Signature-256`) and a delivery GUID; GitLab's
 * secret token in `X-Gitlab-Token` and an event UUID.
 */
import { randomUUID } from 'node:crypto';
import { Webhooks } from '@octokit/webhooks';

export interface HookResponse {
  status: number;
  body: any;
  text: string;
}

async function post(url: string, body: string, headers: Record<string, string>): Promise<HookResponse> {
  const res = await fetch(url, { method: 'POST', body, headers: { 'content-type': 'application/json', ...headers } });
  const text = await res.text();
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  return { status: res.status, body: parsed, text };
}

export interface GithubHookOptions {
  secret?: string;
  deliveryId?: string;
  /** Sign this body but send `payload` (a tampered request). */
  signedBody?: string;
}

export async function sendGithubHook(queenUrl: string, event: string, payload: unknown, options: GithubHookOptions = {}): Promise<HookResponse> {
  const body = JSON.stringify(payload);
  const headers: Record<string, string> = {
    'x-github-event': event,
    'x-github-delivery': options.deliveryId ?? randomUUID(),
    'user-agent': 'GitHub-Hookshot/test',
  };
  if (options.secret) headers['x-hub-signature-256'] = await new Webhooks({ secret: options.secret }).sign(options.signedBody ?? body);
  return post(`${queenUrl}/hooks/github`, body, headers);
}

export interface GitlabHookOptions {
  token?: string;
  eventUuid?: string;
}

export async function sendGitlabHook(queenUrl: string, event: string, payload: unknown, options: GitlabHookOptions = {}): Promise<HookResponse> {
  const headers: Record<string, string> = {
    'x-gitlab-event': event,
    'x-gitlab-event-uuid': options.eventUuid ?? randomUUID(),
    'user-agent': 'GitLab/17.0.0',
  };
  if (options.token !== undefined) headers['x-gitlab-token'] = options.token;
  return post(`${queenUrl}/hooks/gitlab`, JSON.stringify(payload), headers);
}
