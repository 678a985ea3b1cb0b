/**
 * Where a branch of a repository on the queen's own disk stands, read from its files —
 * what `git ls-remote` answers for a `file://` URL or a path, without the two processes
 * it starts (git and git-upload-pack: ~10 ms on a quiet 2-core machine, ~25 ms where
 * starting a process is slow, on every manual build's path).
 *
 * Only the plain layout is read: a work tree's `.git` directory or a bare repository,
 * refs as files (a loose ref, else `packed-refs`), no `[extensions]` (reftable, SHA-256)
 * and no linked work tree. The repository must belong to the queen's own user, as git
 * requires (`safe.directory`) before it serves one. Anything else — another layout, a
 * symbolic ref, a branch it does not find, an unusual name — is undefined, and the caller
 * asks git, which then says what it says. Git writes a ref by renaming a whole new file
 * over it, so a read sees the old tip or the new one, never half of one.
 */
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isObjectId } from '../../common/git/object-id.ts';

/** The tip of `refs/heads/<branch>` in the local repository at `repoUrl`, when it can be read without git. */
export function localBranchTip(repoUrl: string, ref: string): string | undefined {
  const branch = /^refs\/heads\/(.+)$/.exec(ref)?.[1];
  if (!branch || !plainBranchName(branch)) return undefined;
  const dir = localPath(repoUrl);
  const gitDir = dir && plainGitDir(dir);
  if (!gitDir) return undefined;
  const loose = readText(join(gitDir, 'refs', 'heads', ...branch.split('/')));
  if (loose !== undefined) {
    const sha = loose.trim();
    return isObjectId(sha) && sha.length === 40 ? sha.toLowerCase() : undefined;
  }
  for (const line of (readText(join(gitDir, 'packed-refs')) ?? '').split('\n')) {
    const [sha, name] = line.split(' ');
    if (name === ref && isObjectId(sha) && sha.length === 40) return sha.toLowerCase();
  }
  return undefined;
}

/** The directory of a `file://` URL or an absolute path; undefined for any other URL. */
function localPath(repoUrl: string): string | undefined {
  if (repoUrl.startsWith('file://')) {
    try {
      return fileURLToPath(repoUrl);
    } catch {
      return undefined;
    }
  }
  return repoUrl.startsWith('/') ? repoUrl : undefined;
}

/** The git directory of a repository in the plain layout owned by this process's user. */
function plainGitDir(dir: string): string | undefined {
  const dotGit = statOf(join(dir, '.git'));
  // A `.git` file is a linked work tree's or a submodule's pointer: left to git.
  const gitDir = dotGit?.isDirectory() ? join(dir, '.git') : dotGit ? undefined : dir;
  if (!gitDir || !statOf(join(gitDir, 'HEAD'))?.isFile() || !statOf(join(gitDir, 'refs'))?.isDirectory()) return undefined;
  // git's own rule before it serves a repository: it belongs to the user git runs as.
  const owner = statOf(dotGit ? dir : gitDir)?.uid;
  if (owner === undefined || owner !== process.getuid?.()) return undefined;
  if (statOf(join(gitDir, 'commondir'))) return undefined;
  const config = readText(join(gitDir, 'config'));
  if (config === undefined || /^\s*\[extensions\]/im.test(config)) return undefined;
  return gitDir;
}

/** Names read as files without surprises: git's own rules are stricter still, and git answers the rest. */
function plainBranchName(branch: string): boolean {
  return /^[A-Za-z0-9._\-/]+$/.test(branch) && !branch.split('/').some((part) => part === '' || part.startsWith('.') || part.endsWith('.lock'));
}

function statOf(path: string) {
  try {
    return statSync(path);
  } catch {
    return undefined;
  }
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}
