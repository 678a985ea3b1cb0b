/**
 * A commit's subject (what `git log -1 --format=%s` prints) for the "Checked out …" line,
 * read from the cache's loose object when the commit is one (common/git/loose-object.ts)
 * instead of starting a git process (3–4 ms of the drone's thread to start one, on the
 * path of every build). A packed commit, or one whose message is not in UTF-8, is left to git.
 */
import { readLooseObject } from '../common/git/loose-object.ts';

/** The subject of a loose commit object in `gitDir`, or undefined (not loose, not a commit, another encoding). */
export async function looseCommitSubject(gitDir: string, sha: string): Promise<string | undefined> {
  // A commit of a megabyte is someone's joke: git reads that one.
  const object = await readLooseObject(gitDir, sha, 1024 * 1024);
  if (object?.type !== 'commit') return undefined;
  const text = object.body.toString('utf8');
  const headerEnd = text.indexOf('\n\n');
  if (headerEnd < 0) return '';
  // Only a header line starting with "encoding " can say the message is not UTF-8.
  if (/^encoding /m.test(text.slice(0, headerEnd))) return undefined;
  return subjectOf(text.slice(headerEnd + 2));
}

/** Git's %s: the message's first paragraph (after leading blank lines), its lines joined by spaces. */
export function subjectOf(message: string): string {
  const lines = message.split('\n');
  let i = 0;
  while (i < lines.length && lines[i].trim() === '') i++;
  const paragraph: string[] = [];
  for (; i < lines.length && lines[i].trim() !== ''; i++) paragraph.push(lines[i].trimEnd());
  return paragraph.join(' ');
}
