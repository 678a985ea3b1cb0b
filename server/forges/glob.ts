// Branch globs: `*` matches within one path segment, `**` across segments (`release/**`
// matches `release/1.0` and `release/1.0/hotfix`; a leading `**/` may also match nothing,
// so `**/wip` matches `wip` and `team/wip`), `?` one character other than `/`.
// Everything else is literal.
export function globToRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === '*' && glob[i + 1] === '*') {
      i++;
      if (glob[i + 1] === '/') {
        i++;
        re += '(?:.*/)?';
      } else {
        re += '.*';
      }
    } else if (c === '*') {
      re += '[^/]*';
    } else if (c === '?') {
      re += '[^/]';
    } else {
      re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
    }
  }
  return new RegExp(`^${re}$`);
}

export const globMatches = (glob: string, name: string) => globToRegExp(glob).test(name);
