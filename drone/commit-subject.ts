/**
 * A commit's subject (what `git log -1 --format=%s` prints) for the "Checked out …" line,
 * read from the cache's loose object when the commit is one — a fetch of a few commits
 * leaves them loose — instead of starting a git process (3–4 ms of the drone's thread to
 * start one, on the path of every build). A packed commit, or one whose message is not in
 * UTF-8, is left to git.
 *
 * A commit object is small: it is read and inflated in the drone's thread (~0.1 ms),
 * where two trips through the thread pool, beside the workspace's update in this thread,
 * came back ~3 ms after it and held the build. A large one goes through the pool.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { inflate, inflateSync } from 'node:zlib';
import { isObjectId } from '../common/git/object-id.ts';

const inflateAsync = promisify(inflate);
/** Compressed commit objects up to this size are inflated on the spot. */
const INFLATE_IN_THREAD_BELOW = 64 * 1024;

/** The subject of a loose commit object in `gitDir`, or undefined (not loose, not a commit, another encoding). */
export async function looseCommitSubject(gitDir: string, sha: string): Promise<string | undefined> {
  if (!isObjectId(sha)) return undefined;
  let compressed: Buffer;
  try {
    compressed = readFileSync(join(gitDir, 'objects', sha.slice(0, 2), sha.slice(2)));
  } catch {
    return undefined;
  }
  const object = compressed.length < INFLATE_IN_THREAD_BELOW ? inflatedSync(compressed) : await inflateAsync(compressed).catch(() => undefined);
  if (!object) return undefined;
  const nul = object.indexOf(0);
  if (nul < 0 || !object.subarray(0, nul).toString('latin1').startsWith('commit ')) return undefined;
  const text = object.subarray(nul + 1).toString('utf8');
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

function inflatedSync(compressed: Buffer): Buffer | undefined {
  try {
    return inflateSync(compressed);
  } catch {
    return undefined; // damaged: git says what it is
  }
}
