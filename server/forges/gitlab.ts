/**
 * GitLab: the webhook secret token (`X-Gitlab-Token`, compared in constant time),
 * payloads → `WebhookEvent`, and the commit status API request.
 *
 * Builds: `Push Hook` (branches), `Tag Push Hook` (the project decides whether tags
 * build), `Merge Request Hook` with `open`, `reopen`, and `update` when it brings new
 * commits (`oldrev` is present) or marks a draft ready. Everything else is ignored with
 * a reason. Payload formats: https://docs.gitlab.com/user/project/integrations/webhook_events/
 */
import { secretsEqual } from '../auth/tokens.ts';
import type { CommitStatus, ForgeRequest } from './commit-status.ts';
import { bool, link, list, num, obj, str, strings, type Json } from './payload.ts';
import { clip, deletedRefPush, isNullSha, pushTarget, unbuiltRefPush, type RepoIdentity, type Trigger, type WebhookEvent } from './trigger.ts';

export const GITLAB_API_URL = 'https://gitlab.com/api/v4';

export function verifyGitlabToken(secret: string, token: string | undefined): boolean {
  return !!secret && !!token && secretsEqual(secret, token);
}

export function gitlabRepo(payload: unknown): RepoIdentity | undefined {
  const project = obj(payload, 'project');
  const repository = obj(payload, 'repository');
  if (!project && !repository) return undefined;
  return {
    fullName: str(project, 'path_with_namespace'),
    urls: strings(
      str(project, 'git_http_url'), str(project, 'git_ssh_url'), str(project, 'web_url'),
      str(project, 'http_url'), str(project, 'ssh_url'),
      str(repository, 'git_http_url'), str(repository, 'git_ssh_url'), str(repository, 'homepage'),
    ),
  };
}

/** The event from `X-Gitlab-Event`; system hooks say `System Hook` and carry `object_kind`. */
function eventKind(header: string, payload: Json): string {
  if (header !== 'System Hook') return header;
  return ({ push: 'Push Hook', tag_push: 'Tag Push Hook', merge_request: 'Merge Request Hook' } as Record<string, string>)[
    str(payload, 'object_kind') ?? ''
  ] ?? header;
}

/** The payload's meaning; the receiver has already matched its project to a Hive project. */
export function parseGitlabWebhook(header: string, payload: Json): WebhookEvent {
  const event = eventKind(header, payload);
  if (event === 'Push Hook' || event === 'Tag Push Hook') return push(payload, event === 'Tag Push Hook');
  if (event === 'Merge Request Hook') return mergeRequest(payload);
  return { kind: 'ignored', reason: `event "${header}" does not build` };
}

/** GitLab shows `[REDACTED]` for emails users keep private. */
const email = (value: string | undefined) => (value && value !== '[REDACTED]' ? value : undefined);

function push(p: Json, isTag: boolean): WebhookEvent {
  const ref = str(p, 'ref') ?? '';
  const prefix = isTag ? 'refs/tags/' : 'refs/heads/';
  if (!ref.startsWith(prefix)) return unbuiltRefPush(ref);
  const name = ref.slice(prefix.length);
  // `checkout_sha` is the commit (for annotated tags `after` is the tag object); null on deletion.
  const sha = str(p, 'checkout_sha');
  if (isNullSha(str(p, 'after')) || !sha) return deletedRefPush(isTag, name);
  const commit = list(p, 'commits').find((c) => str(c, 'id') === sha);
  const web = link(p, 'project', 'web_url');
  const before = str(p, 'before');
  const trigger: Trigger = {
    ...pushTarget(isTag, name, sha),
    trigger: {
      source: { type: 'webhook', provider: 'gitlab' },
      author: {
        name: str(commit, 'author', 'name') ?? str(p, 'user_name'),
        email: email(str(commit, 'author', 'email') ?? str(p, 'user_email')),
        username: str(p, 'user_username'),
        avatarUrl: str(p, 'user_avatar'),
      },
      message: clip(str(commit, 'message') ?? str(p, 'message')),
      commitUrl: link(commit, 'url') ?? (web ? `${web}/-/commit/${sha}` : undefined),
      compareUrl: web && before && !isNullSha(before) ? `${web}/-/compare/${before}...${sha}` : undefined,
    },
    headMessage: str(commit, 'message') ?? str(p, 'message'),
  };
  return { kind: 'trigger', trigger };
}

function mergeRequest(p: Json): WebhookEvent {
  const mr = obj(p, 'object_attributes');
  const rawAction = str(mr, 'action') ?? '';
  const iid = num(mr, 'iid');
  const headSha = str(mr, 'last_commit', 'id');
  const baseBranch = str(mr, 'target_branch');
  let action: Trigger['action'];
  if (rawAction === 'open') action = 'opened';
  else if (rawAction === 'reopen') action = 'reopened';
  else if (rawAction === 'update' && str(mr, 'oldrev')) action = 'synchronize';
  else if (rawAction === 'update' && bool(p, 'changes', 'draft', 'previous') === true && bool(p, 'changes', 'draft', 'current') === false) {
    action = 'ready_for_review';
  } else if (rawAction === 'update') {
    return { kind: 'ignored', reason: 'merge request update without new commits' };
  } else {
    return { kind: 'ignored', reason: `merge request action "${rawAction}" does not build` };
  }
  if (!mr || iid === undefined || !headSha || !baseBranch) {
    return { kind: 'ignored', reason: 'the merge request payload lacks its iid, last commit or target branch' };
  }
  const state = str(mr, 'state');
  if (state === 'closed' || state === 'merged') return { kind: 'ignored', reason: `merge request !${iid} is ${state}` };
  const source = num(mr, 'source_project_id');
  const target = num(mr, 'target_project_id');
  const title = str(mr, 'title');
  const url = link(mr, 'url');
  const message = str(mr, 'last_commit', 'message');
  const trigger: Trigger = {
    kind: 'pull_request',
    ref: {
      refspec: `refs/merge-requests/${iid}/head`,
      pullRequest: {
        number: iid, baseBranch, headBranch: str(mr, 'source_branch'), headSha,
        fork: source === undefined || source !== target, title, url,
      },
    },
    trigger: {
      source: { type: 'webhook', provider: 'gitlab' },
      author: {
        name: str(p, 'user', 'name'),
        email: email(str(p, 'user', 'email')),
        username: str(p, 'user', 'username'),
        avatarUrl: link(p, 'user', 'avatar_url'),
      },
      message: clip(message ?? title),
      commitUrl: link(mr, 'last_commit', 'url'),
      compareUrl: url ? `${url}/diffs` : undefined,
    },
    headMessage: message,
    draft: bool(mr, 'draft') ?? bool(mr, 'work_in_progress') ?? false,
    action,
  };
  return { kind: 'trigger', trigger };
}

const GITLAB_STATES = { pending: 'pending', running: 'running', success: 'success', failure: 'failed', error: 'failed', canceled: 'canceled' } as const;

/** POST /projects/:id/statuses/:sha — https://docs.gitlab.com/api/commits/#set-the-pipeline-status-of-a-commit */
export function gitlabStatusRequest(apiUrl: string | null, repo: string, token: string, status: CommitStatus): ForgeRequest {
  const base = (apiUrl || GITLAB_API_URL).replace(/\/+$/, '');
  return {
    url: `${base}/projects/${encodeURIComponent(repo)}/statuses/${status.sha}`,
    headers: { 'private-token': token },
    body: {
      state: GITLAB_STATES[status.state],
      name: status.context,
      target_url: status.targetUrl,
      description: status.description.slice(0, 255),
      ...(status.ref && { ref: status.ref }),
    },
  };
}
