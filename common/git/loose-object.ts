/**
 * Git objects read from a repository's loose object files, without a git process — a
 * fetch of a few commits leaves them loose (git unpacks fewer than `fetch.unpackLimit`,
 * 100, objects), and starting git costs 5–8 ms on a small VM, on a build's path. Whatever
 * is not loose (packed, or in another object format) is undefined: the caller asks git.
 *
 * A small object is inflated in the calling thread (~0.1 ms), where two trips through the
 * thread pool, beside other work, came back milliseconds later; a large one goes through
 * the pool.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { inflate, inflateSync } from 'node:zlib';
import { isObjectId } from './object-id.ts';

const inflateAsync = promisify(inflate);
/** Compressed objects up to this size are inflated on the spot. */
const INFLATE_IN_THREAD_BELOW = 64 * 1024;

export interface LooseObject {
  type: string;
  /** The object's content, after its header. */
  body: Buffer;
}

/**
 * The loose object `sha` (a full object id) of the repository at `gitDir`, or undefined:
 * not loose, damaged, or — with `maxBytes` — larger than that (inflated no further than
 * that, so a small file that inflates to gigabytes costs nothing; git reads the size from
 * the header before any content).
 */
export async function readLooseObject(gitDir: string, sha: string, maxBytes?: number): Promise<LooseObject | undefined> {
  if (!isObjectId(sha)) return undefined;
  let compressed: Buffer;
  try {
    compressed = readFileSync(join(gitDir, 'objects', sha.slice(0, 2), sha.slice(2)));
  } catch {
    return undefined;
  }
  // The header ("blob 1234\0") is at most a few dozen bytes.
  const options = maxBytes === undefined ? {} : { maxOutputLength: maxBytes + 64 };
  const object = compressed.length < INFLATE_IN_THREAD_BELOW
    ? inflatedSync(compressed, options)
    : await inflateAsync(compressed, options).catch(() => undefined);
  if (!object) return undefined;
  const nul = object.indexOf(0);
  if (nul < 0) return undefined;
  const [type, size] = object.subarray(0, nul).toString('latin1').split(' ');
  const body = object.subarray(nul + 1);
  // A header that does not match its content is a damaged object (or one cut at maxBytes).
  if (Number(size) !== body.length) return undefined;
  return { type, body };
}

/** A SHA-1 commit object's tree and parents, from its header; undefined when malformed. */
export function commitHeader(body: Buffer): { tree: string; parents: string[] } | undefined {
  const end = body.indexOf('\n\n');
  const lines = body.subarray(0, end < 0 ? body.length : end).toString('latin1').split('\n');
  const tree = /^tree ([0-9a-f]{40})$/.exec(lines[0] ?? '')?.[1];
  if (!tree) return undefined;
  const parents: string[] = [];
  for (const line of lines.slice(1)) {
    const parent = /^parent ([0-9a-f]{40})$/.exec(line)?.[1];
    if (!parent) break; // parents come right after the tree, before the author
    parents.push(parent);
  }
  return { tree, parents };
}

/** A SHA-1 tree object's entries: name → mode (octal text, as git writes it) and object id; undefined when malformed. */
export function treeEntries(body: Buffer): Map<string, { mode: string; sha: string }> | undefined {
  const entries = new Map<string, { mode: string; sha: string }>();
  for (let at = 0; at < body.length;) {
    const space = body.indexOf(0x20, at);
    const nul = space < 0 ? -1 : body.indexOf(0, space);
    if (nul < 0 || nul + 21 > body.length) return undefined;
    entries.set(body.subarray(space + 1, nul).toString('utf8'), {
      mode: body.subarray(at, space).toString('latin1'),
      sha: body.subarray(nul + 1, nul + 21).toString('hex'),
    });
    at = nul + 21;
  }
  return entries;
}

function inflatedSync(compressed: Buffer, options: { maxOutputLength?: number }): Buffer | undefined {
  try {
    return inflateSync(compressed, options);
  } catch {
    return undefined; // damaged, or beyond maxOutputLength: git says what it is
  }
}
