/**
 * Branch globs, as in branch rules and `.hive.yml` branch sections (picomatch): `*` within
 * one path segment, `**` across segments (`release/**` matches `release/1.0/hotfix`;
 * `**\/wip` matches `wip` and `team/wip`), `?` one character other than `/`.
 */
import picomatch from 'picomatch';

const cache = new Map<string, (name: string) => boolean>();

export function branchGlobMatches(glob: string, name: string | undefined): boolean {
  if (!name) return false;
  let matcher = cache.get(glob);
  if (!matcher) {
    matcher = picomatch(glob, { dot: true });
    if (cache.size > 1000) cache.clear(); // globs come from configs: few, but unbounded over time
    cache.set(glob, matcher);
  }
  return matcher(name);
}
