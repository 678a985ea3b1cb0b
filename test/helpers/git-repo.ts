/**
 * Real git repositories for tests: a non-bare repository in a temp dir with commits made
 * from a map of files, branches, and arbitrary refs (e.g. `refs/pull/7/merge`), reachable
 * by `repo.url` like any remote.
 *
 *   const repo = await createGitRepo({ files: { 'README.md': '# hi' } });
 *   const sha = await repo.commit({ files: { 'a.txt': 'x' }, message: 'add a', branch: 'feature' });
 *   await repo.setRef('refs/pull/7/merge', sha);
 *   repo.url;            // file:///tmp/hive-git-…/repo
 *   await repo.cleanup();
 *
 * Git runs isolated from the user's and system's config, so tests behave the same on
 * every machine. Operations on one repository are serialised.
 */
import { execFile } from 'node:child_process';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';

const exec = promisify(execFile);

/** File path → content; `null` deletes the file. Paths may contain folders. */
export type FileMap = Record<string, string | null>;

export interface CommitOptions {
  files?: FileMap;
  message?: string;
  /** Branch to commit on (default: the repository's default branch). Created when missing. */
  branch?: string;
  /** Where a new branch starts (a branch or sha); default: the default branch's tip. */
  from?: string;
}

export interface GitRepo {
  /** The working directory of the repository. */
  readonly dir: string;
  /** A `file://` URL to clone or fetch from. */
  readonly url: string;
  readonly defaultBranch: string;
  /** The sha of the initial commit. */
  readonly initialSha: string;
  /** Commits the files on a branch; returns the new commit's sha. */
  commit(options?: CommitOptions): Promise<string>;
  /** Creates (or moves) a branch to a commit, default the default branch's tip; returns its sha. */
  branch(name: string, at?: string): Promise<string>;
  /** Deletes a branch (switching to the default branch first when it is checked out). */
  deleteBranch(name: string): Promise<void>;
  /** Creates or moves any ref, e.g. `refs/pull/7/merge` or `refs/merge-requests/3/head`. */
  setRef(ref: string, sha: string): Promise<void>;
  /** Creates a lightweight tag. */
  tag(name: string, sha: string): Promise<void>;
  /** The sha a branch or ref points to. */
  head(ref?: string): Promise<string>;
  /** Runs any git command in the repository and returns its stdout. */
  git(...args: string[]): Promise<string>;
  /** Removes the repository and its temp dir. */
  cleanup(): Promise<void>;
}

export interface CreateGitRepoOptions {
  /** Files of the initial commit (default: a README). */
  files?: FileMap;
  message?: string;
  defaultBranch?: string;
}

const GIT_ENV = {
  ...process.env,
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_CONFIG_GLOBAL: '/dev/null',
  GIT_TERMINAL_PROMPT: '0',
  GIT_AUTHOR_NAME: 'Hive Test',
  GIT_AUTHOR_EMAIL: 'test@hive.invalid',
  GIT_COMMITTER_NAME: 'Hive Test',
  GIT_COMMITTER_EMAIL: 'test@hive.invalid',
};

export async function createGitRepo(options: CreateGitRepoOptions = {}): Promise<GitRepo> {
  const root = await mkdtemp(join(os.tmpdir(), 'hive-git-'));
  const dir = join(root, 'repo');
  await mkdir(dir);
  const defaultBranch = options.defaultBranch ?? 'main';
  const git = async (...args: string[]) => (await exec('git', args, { cwd: dir, env: GIT_ENV, maxBuffer: 64 << 20 })).stdout;
  await git('init', '--quiet', '-b', defaultBranch);
  await git('config', 'user.name', 'Hive Test');
  await git('config', 'user.email', 'test@hive.invalid');
  // Fetching a sha that no ref points at (as forges allow) needs this.
  await git('config', 'uploadpack.allowAnySHA1InWant', 'true');

  let queue: Promise<unknown> = Promise.resolve();
  const serial = <T>(task: () => Promise<T>): Promise<T> => {
    const result = queue.then(task, task);
    queue = result.catch(() => {});
    return result;
  };

  const writeFiles = async (files: FileMap) => {
    for (const [path, content] of Object.entries(files)) {
      const full = join(dir, path);
      if (content === null) {
        await rm(full, { force: true });
      } else {
        await mkdir(dirname(full), { recursive: true });
        await writeFile(full, content);
        if (content.startsWith('#!')) await chmod(full, 0o755);
      }
    }
  };

  const commitOn = async ({ files = {}, message, branch = defaultBranch, from }: CommitOptions): Promise<string> => {
    const exists = await git('rev-parse', '--verify', '--quiet', `refs/heads/${branch}`).then(() => true, () => false);
    if (exists) await git('checkout', '--quiet', branch);
    else await git('checkout', '--quiet', '-b', branch, from ?? defaultBranch);
    await writeFiles(files);
    await git('add', '--all');
    await git('commit', '--quiet', '--allow-empty', '-m', message ?? `change ${Object.keys(files).join(', ') || 'nothing'}`);
    return (await git('rev-parse', 'HEAD')).trim();
  };

  await writeFiles(options.files ?? { 'README.md': '# test repository\n' });
  await git('add', '--all');
  await git('commit', '--quiet', '--allow-empty', '-m', options.message ?? 'initial commit');
  const initialSha = (await git('rev-parse', 'HEAD')).trim();

  return {
    dir,
    url: pathToFileURL(dir).href,
    defaultBranch,
    initialSha,
    commit: (opts = {}) => serial(() => commitOn(opts)),
    branch: (name, at) => serial(async () => {
      await git('branch', '--force', name, at ?? defaultBranch).catch(async (err) => {
        // `branch --force` refuses to move the checked-out branch; use update-ref then.
        if (!String(err).includes('checked out')) throw err;
        await git('update-ref', `refs/heads/${name}`, at ?? defaultBranch);
      });
      return (await git('rev-parse', `refs/heads/${name}`)).trim();
    }),
    deleteBranch: (name) => serial(async () => {
      const current = (await git('symbolic-ref', '--short', 'HEAD')).trim();
      if (current === name) await git('checkout', '--quiet', defaultBranch);
      await git('branch', '--quiet', '-D', name);
    }),
    setRef: (ref, sha) => serial(async () => {
      await git('update-ref', ref, sha);
    }),
    tag: (name, sha) => serial(async () => {
      await git('tag', '--force', name, sha);
    }),
    head: (ref = defaultBranch) => serial(async () => (await git('rev-parse', `${ref}^{commit}`)).trim()),
    git: (...args) => serial(() => git(...args)),
    cleanup: () => rm(root, { recursive: true, force: true }),
  };
}
