/**
 * Repository URLs compared by what they name, not how: `https://github.com/Acme/App.git`,
 * `git@github.com:acme/app.git` and `ssh://git@github.com/acme/app` are one repository.
 * Used to find a webhook's project when the project has no `forgeRepo`, and to fill in
 * `forgeRepo` from the clone URL.
 */

interface ParsedRepoUrl {
  host: string;
  /** Without leading slash, trailing slash or `.git`. */
  path: string;
}

function parse(url: string): ParsedRepoUrl | undefined {
  const trimmed = url.trim();
  // scp-like ssh: user@host:path (no scheme)
  const scp = /^(?:[^@/\s]+@)?([^:/\s]+):(?!\/\/)(.+)$/.exec(trimmed);
  if (scp && !/^[a-z][a-z0-9+.-]*:\/\//i.test(trimmed)) return { host: scp[1], path: clean(scp[2]) };
  try {
    const u = new URL(trimmed);
    return { host: u.protocol === 'file:' ? '' : u.hostname, path: clean(decodeURIComponent(u.pathname)) };
  } catch {
    return trimmed.startsWith('/') ? { host: '', path: clean(trimmed) } : undefined;
  }
}

const clean = (path: string) => path.replace(/^\/+/, '').replace(/\/+$/, '').replace(/\.git$/, '');

/** A comparable key for a repository URL (lowercased host and path), or undefined. */
export function repoUrlKey(url: string): string | undefined {
  const p = parse(url);
  return p && p.path ? `${p.host}/${p.path}`.toLowerCase() : undefined;
}

/** `owner/name` (or `group/sub/name`) from a forge clone URL; undefined for local paths. */
export function forgeRepoFromUrl(url: string): string | undefined {
  const p = parse(url);
  if (!p?.host || !p.path.includes('/')) return undefined;
  return p.path;
}
