/**
 * GitHub: webhook signatures (`X-Hub-Signature-256`, checked by @octokit/webhooks),
 * payloads → `WebhookEvent`, and the commit status API request.
 *
 * Builds: `push` to a branch, `push` of a tag (the project decides whether tags build),
 * `pull_request` opened / synchronize / reopened / ready_for_review. Everything else is
 * ignored with a reason, so GitHub's delivery log tells the user why nothing happened.
 */
import { Webhooks } from '@octokit/webhooks';
import type { CommitStatus, ForgeRequest } from './commit-status.ts';
import { bool, link, num, obj, str, strings, type Json } from './payload.ts';
import { clip, deletedRefPush, isNullSha, pushTarget, unbuiltRefPush, type RepoIdentity, type Trigger, type WebhookEvent } from './trigger.ts';

export const GITHUB_API_URL = 'https://api.github.com';

/** True when `signature` (`sha256=<hex>`) is the HMAC of the exact body with the secret. */
export async function verifyGithubSignature(secret: string, body: string, signature: string | undefined): Promise<boolean> {
  if (!secret || !body || !signature?.startsWith('sha256=')) return false;
  try {
    return await new Webhooks({ secret }).verify(body, signature);
  } catch {
    return false;
  }
}

export function githubRepo(payload: unknown): RepoIdentity | undefined {
  const repo = obj(payload, 'repository');
  if (!repo) return undefined;
  return {
    fullName: str(repo, 'full_name'),
    urls: strings(str(repo, 'clone_url'), str(repo, 'ssh_url'), str(repo, 'git_url'), str(repo, 'html_url'), str(repo, 'svn_url')),
  };
}

const PR_ACTIONS = new Set(['opened', 'synchronize', 'reopened', 'ready_for_review']);

/** The payload's meaning; the receiver has already matched its repository to a project. */
export function parseGithubWebhook(event: string, payload: Json): WebhookEvent {
  if (event === 'ping') return { kind: 'ping' };
  if (event === 'push') return push(payload);
  if (event === 'pull_request') return pullRequest(payload);
  return { kind: 'ignored', reason: `event "${event}" does not build` };
}

function push(p: Json): WebhookEvent {
  const ref = str(p, 'ref') ?? '';
  const head = obj(p, 'head_commit');
  const after = str(p, 'after');
  const isTag = ref.startsWith('refs/tags/');
  const name = ref.replace(/^refs\/(heads|tags)\//, '');
  if (!isTag && !ref.startsWith('refs/heads/')) return unbuiltRefPush(ref);
  if (bool(p, 'deleted') || !after || isNullSha(after)) return deletedRefPush(isTag, name);
  // For an annotated tag `after` is the tag object; the commit is the head commit.
  const sha = (isTag && str(head, 'id')) || after;
  const trigger: Trigger = {
    ...pushTarget(isTag, name, sha),
    trigger: {
      source: { type: 'webhook', provider: 'github' },
      author: {
        name: str(head, 'author', 'name') ?? str(p, 'pusher', 'name'),
        email: str(head, 'author', 'email') ?? str(p, 'pusher', 'email'),
        username: str(head, 'author', 'username') ?? str(p, 'sender', 'login'),
        avatarUrl: link(p, 'sender', 'avatar_url'),
      },
      message: clip(str(head, 'message')),
      commitUrl: link(head, 'url'),
      compareUrl: link(p, 'compare'),
    },
    headMessage: str(head, 'message'),
  };
  return { kind: 'trigger', trigger };
}

function pullRequest(p: Json): WebhookEvent {
  const action = str(p, 'action') ?? '';
  if (!PR_ACTIONS.has(action)) return { kind: 'ignored', reason: `pull_request action "${action}" does not build` };
  const pr = obj(p, 'pull_request');
  const number = num(p, 'number') ?? num(pr, 'number');
  const headSha = str(pr, 'head', 'sha');
  const baseBranch = str(pr, 'base', 'ref');
  if (!pr || number === undefined || !headSha || !baseBranch) {
    return { kind: 'ignored', reason: 'the pull_request payload lacks its number, head sha or base branch' };
  }
  if (str(pr, 'state') === 'closed') return { kind: 'ignored', reason: `pull request #${number} is closed` };
  const baseRepo = str(pr, 'base', 'repo', 'full_name') ?? str(p, 'repository', 'full_name') ?? '';
  const headRepo = str(pr, 'head', 'repo', 'full_name');
  // A deleted fork has no head repo: still a fork, and still untrusted.
  const fork = !headRepo || headRepo.toLowerCase() !== baseRepo.toLowerCase();
  const title = str(pr, 'title');
  const url = link(pr, 'html_url');
  const web = link(pr, 'head', 'repo', 'html_url') ?? link(pr, 'base', 'repo', 'html_url');
  const trigger: Trigger = {
    kind: 'pull_request',
    // No branch: the head branch may live in a fork, and a branch of the same name in
    // this repository is another thing. The refspec says what to fetch.
    ref: {
      refspec: `+refs/pull/${number}/merge`,
      pullRequest: { number, baseBranch, headBranch: str(pr, 'head', 'ref'), headSha, fork, title, url },
    },
    trigger: {
      source: { type: 'webhook', provider: 'github' },
      author: { username: str(p, 'sender', 'login') ?? str(pr, 'user', 'login'), avatarUrl: link(p, 'sender', 'avatar_url') ?? link(pr, 'user', 'avatar_url') },
      message: clip(title),
      commitUrl: web ? `${web}/commit/${headSha}` : undefined,
      compareUrl: url ? `${url}/files` : undefined,
    },
    // GitHub sends no commit message with a pull request; like Woodpecker, the title counts.
    headMessage: title,
    draft: bool(pr, 'draft') ?? false,
    action: action as Trigger['action'],
  };
  return { kind: 'trigger', trigger };
}

const GITHUB_STATES = { pending: 'pending', running: 'pending', success: 'success', failure: 'failure', error: 'error', canceled: 'error' } as const;

/** POST /repos/{owner}/{repo}/statuses/{sha} — https://docs.github.com/rest/commits/statuses */
export function githubStatusRequest(apiUrl: string | null, repo: string, token: string, status: CommitStatus): ForgeRequest {
  const base = (apiUrl || GITHUB_API_URL).replace(/\/+$/, '');
  const path = repo.split('/').map(encodeURIComponent).join('/');
  return {
    url: `${base}/repos/${path}/statuses/${status.sha}`,
    headers: {
      accept: 'application/vnd.github+json',
      authorization: `Bearer ${token}`,
      'x-github-api-version': '2022-11-28',
    },
    body: {
      state: GITHUB_STATES[status.state],
      target_url: status.targetUrl,
      description: status.description.slice(0, 140),
      context: status.context,
    },
  };
}
