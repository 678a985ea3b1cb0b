/**
 * GitLab webhook payloads in the shapes GitLab documents for `Push Hook`, `Tag Push Hook`
 * and `Merge Request Hook` (docs.gitlab.com → user/project/integrations/webhook_events),
 * with every field a receiver might read, filled from a few test values.
 */

export interface GitlabProjectInfo {
  id?: number;
  /** `group/name` or `group/sub/name`. */
  path: string;
  /** The clone URL (`git_http_url`); the test repository's URL to match by URL. */
  httpUrl?: string;
  webUrl?: string;
}

export interface GitlabCommitInfo {
  id: string;
  message?: string;
  authorName?: string;
  authorEmail?: string;
}

const USER = { id: 4, name: 'Jane Doe', username: 'jdoe', email: 'jane@example.com', avatar_url: 'https://gitlab.example.com/uploads/jdoe.png' };
export const NULL_SHA = '0000000000000000000000000000000000000000';

function project(p: GitlabProjectInfo) {
  const web = p.webUrl ?? `https://gitlab.example.com/${p.path}`;
  const http = p.httpUrl ?? `${web}.git`;
  const ssh = `git@gitlab.example.com:${p.path}.git`;
  return {
    id: p.id ?? 15,
    name: p.path.split('/').pop(),
    description: '',
    web_url: web,
    avatar_url: null,
    git_ssh_url: ssh,
    git_http_url: http,
    namespace: p.path.split('/')[0],
    visibility_level: 0,
    path_with_namespace: p.path,
    default_branch: 'main',
    ci_config_path: null,
    homepage: web,
    url: ssh,
    ssh_url: ssh,
    http_url: http,
  };
}

function repository(p: GitlabProjectInfo) {
  const proj = project(p);
  return {
    name: proj.name,
    url: proj.git_ssh_url,
    description: '',
    homepage: proj.homepage,
    git_http_url: proj.git_http_url,
    git_ssh_url: proj.git_ssh_url,
    visibility_level: 0,
  };
}

function commit(p: GitlabProjectInfo, c: GitlabCommitInfo) {
  const web = project(p).web_url;
  const message = c.message ?? 'change things\n';
  return {
    id: c.id,
    message,
    title: message.split('\n')[0],
    timestamp: '2024-05-01T10:00:00+00:00',
    url: `${web}/-/commit/${c.id}`,
    author: { name: c.authorName ?? 'Jane Doe', email: c.authorEmail ?? 'jane@example.com' },
    added: ['README.md'],
    modified: [],
    removed: [],
  };
}

export interface PushOptions {
  project: GitlabProjectInfo;
  /** `refs/heads/main` or `refs/tags/v1.0`. */
  ref: string;
  before?: string;
  /** The new tip; all zeros for a deleted branch. */
  after: string;
  commits?: GitlabCommitInfo[];
}

/** `Push Hook` (branches) and, with `object_kind: tag_push`, `Tag Push Hook`. */
export function pushHook(o: PushOptions) {
  const deleted = /^0+$/.test(o.after);
  const isTag = o.ref.startsWith('refs/tags/');
  const commits = (o.commits ?? (deleted ? [] : [{ id: o.after }])).map((c) => commit(o.project, c));
  return {
    object_kind: isTag ? 'tag_push' : 'push',
    event_name: isTag ? 'tag_push' : 'push',
    before: o.before ?? NULL_SHA,
    after: o.after,
    ref: o.ref,
    ref_protected: false,
    checkout_sha: deleted ? null : o.after,
    message: null,
    user_id: USER.id,
    user_name: USER.name,
    user_username: USER.username,
    user_email: USER.email,
    user_avatar: USER.avatar_url,
    project_id: project(o.project).id,
    project: project(o.project),
    commits,
    total_commits_count: commits.length,
    repository: repository(o.project),
  };
}

export interface MergeRequestOptions {
  project: GitlabProjectInfo;
  iid: number;
  action: 'open' | 'reopen' | 'update' | 'close' | 'merge' | 'approved';
  sourceBranch: string;
  targetBranch?: string;
  lastCommit: GitlabCommitInfo;
  /** Present on `update` when commits were pushed. */
  oldrev?: string;
  draft?: boolean;
  /** The source project's id; differs from the target's for a fork. */
  sourceProjectId?: number;
  state?: 'opened' | 'closed' | 'merged';
  title?: string;
  changes?: Record<string, { previous: unknown; current: unknown }>;
}

export function mergeRequestHook(o: MergeRequestOptions) {
  const target = project(o.project);
  const sourceId = o.sourceProjectId ?? target.id;
  const url = `${target.web_url}/-/merge_requests/${o.iid}`;
  return {
    object_kind: 'merge_request',
    event_type: 'merge_request',
    user: USER,
    project: target,
    repository: { name: target.name, url: target.url, description: '', homepage: target.homepage },
    object_attributes: {
      id: 1000 + o.iid,
      iid: o.iid,
      target_branch: o.targetBranch ?? 'main',
      source_branch: o.sourceBranch,
      source_project_id: sourceId,
      target_project_id: target.id,
      author_id: USER.id,
      title: o.title ?? 'Add a feature',
      created_at: '2024-05-01T10:00:00Z',
      updated_at: '2024-05-01T10:05:00Z',
      state: o.state ?? 'opened',
      draft: o.draft ?? false,
      work_in_progress: o.draft ?? false,
      merge_status: 'unchecked',
      detailed_merge_status: 'mergeable',
      description: '',
      url,
      source: sourceId === target.id ? target : project({ id: sourceId, path: `fork/${target.name}` }),
      target,
      last_commit: commit(o.project, o.lastCommit),
      ...(o.oldrev && { oldrev: o.oldrev }),
      action: o.action,
    },
    labels: [],
    changes: o.changes ?? {},
  };
}
