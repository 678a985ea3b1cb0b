/**
 * A file at a commit, read through the forge's API with the project's forge token: how the
 * queen reads `.hive.yml` for a pushed commit without fetching the repository (one HTTPS
 * request to the forge, where a fetch from it costs several and the objects). Anything
 * short of a clear answer — a token without the right to read contents, a 404 that could
 * mean either, a symlink, an error, a timeout — is `unknown`, and the caller fetches with
 * git as before.
 *
 * GitHub: GET /repos/{owner}/{repo}/contents/{path}?ref={sha}. It answers 404 both for a
 *   missing file and for a token that may not read the repository's contents, so a 404 is
 *   followed by GET /repos/{owner}/{repo}/commits/{sha}: readable, the file is absent.
 * GitLab: GET /projects/:id/repository/files/:path?ref=:sha, whose 404 names what was not
 *   found ("404 File Not Found" against "404 Project Not Found").
 */
import { isObjectId } from '../../common/git/object-id.ts';
import { GITHUB_API_URL } from './github.ts';
import { GITLAB_API_URL } from './gitlab.ts';

export type RepoFileAnswer =
  | { kind: 'file'; text: string }
  | { kind: 'absent' }
  | { kind: 'unknown'; why: string };

export interface ForgeAccess {
  provider: 'github' | 'gitlab';
  /** null: the forge's public API. */
  apiUrl: string | null;
  /** `owner/repo` (GitHub) or the project's path (GitLab). */
  repo: string;
  token: string;
}

export interface RepoFileOptions {
  /** Larger files are not read (the caller's limit, e.g. `.hive.yml`'s 256 KiB). */
  maxBytes: number;
  /** Each request is given up after this long. */
  timeoutMs: number;
}

export async function readRepoFileFromForge(forge: ForgeAccess, sha: string, path: string, options: RepoFileOptions): Promise<RepoFileAnswer> {
  if (!isObjectId(sha)) return { kind: 'unknown', why: 'not a full commit id' };
  try {
    return forge.provider === 'github' ? await fromGithub(forge, sha, path, options) : await fromGitlab(forge, sha, path, options);
  } catch (err) {
    return { kind: 'unknown', why: `the forge API failed: ${(err as Error).message}` };
  }
}

async function fromGithub(forge: ForgeAccess, sha: string, path: string, options: RepoFileOptions): Promise<RepoFileAnswer> {
  const base = `${(forge.apiUrl || GITHUB_API_URL).replace(/\/+$/, '')}/repos/${forge.repo.split('/').map(encodeURIComponent).join('/')}`;
  const headers = { accept: 'application/vnd.github.object+json', authorization: `Bearer ${forge.token}`, 'x-github-api-version': '2022-11-28' };
  const res = await get(`${base}/contents/${encodePath(path)}?ref=${sha}`, headers, options);
  if (res.status === 404) {
    const commit = await get(`${base}/commits/${sha}`, { ...headers, accept: 'application/vnd.github+json' }, options);
    await commit.body?.cancel();
    return commit.status === 200 ? { kind: 'absent' } : { kind: 'unknown', why: `GitHub answered ${res.status}, and ${commit.status} for the commit` };
  }
  if (res.status !== 200) return drained(res, `GitHub answered ${res.status}`);
  return fileOf(await res.json(), options);
}

async function fromGitlab(forge: ForgeAccess, sha: string, path: string, options: RepoFileOptions): Promise<RepoFileAnswer> {
  const base = `${(forge.apiUrl || GITLAB_API_URL).replace(/\/+$/, '')}/projects/${encodeURIComponent(forge.repo)}`;
  const res = await get(`${base}/repository/files/${encodeURIComponent(path)}?ref=${sha}`, { 'private-token': forge.token }, options);
  if (res.status === 404) {
    const body = (await res.json().catch(() => ({}))) as { message?: unknown };
    return body.message === '404 File Not Found' ? { kind: 'absent' } : { kind: 'unknown', why: `GitLab answered 404 (${String(body.message)})` };
  }
  if (res.status !== 200) return drained(res, `GitLab answered ${res.status}`);
  const json = (await res.json()) as Record<string, unknown>;
  // GitLab lists only files here; its `size` and `encoding`/`content` are as GitHub's.
  return fileOf({ type: 'file', ...json }, options);
}

/** A contents object (GitHub's shape; GitLab's with `type` added) → the file's text. */
function fileOf(json: unknown, options: RepoFileOptions): RepoFileAnswer {
  const o = (json ?? {}) as Record<string, unknown>;
  if (o.type !== 'file') return { kind: 'unknown', why: `it is a ${String(o.type)}` };
  if (typeof o.size !== 'number' || o.size > options.maxBytes) return { kind: 'unknown', why: 'too large for the API answer' };
  if (o.encoding !== 'base64' || typeof o.content !== 'string') return { kind: 'unknown', why: 'no base64 content' };
  const bytes = Buffer.from(o.content, 'base64');
  if (bytes.length !== o.size) return { kind: 'unknown', why: 'the content is not the whole file' };
  return { kind: 'file', text: bytes.toString('utf8') };
}

async function get(url: string, headers: Record<string, string>, options: RepoFileOptions): Promise<Response> {
  return fetch(url, { headers: { ...headers, 'user-agent': 'hive-ci' }, signal: AbortSignal.timeout(options.timeoutMs), redirect: 'error' });
}

async function drained(res: Response, why: string): Promise<RepoFileAnswer> {
  await res.body?.cancel();
  return { kind: 'unknown', why };
}

const encodePath = (path: string) => path.split('/').map(encodeURIComponent).join('/');
