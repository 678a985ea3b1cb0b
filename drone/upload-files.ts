/**
 * Puts the files uploaded with a job into its workspace root, after the checkout and
 * before the first phase (so with Docker, whose container mounts the workspace, they are
 * there too). Each is fetched over HTTP from the queen —
 * `GET <queen>/drone/jobs/:id/files/:name` with the drone token and the job's lease —
 * and streamed to disk; nothing of its content reaches a log.
 *
 * The checkout is the repository's, and anyone who can push shapes it: a commit may hold
 * a symlink named like an upload, pointing anywhere on the drone. So a file is written to
 * a fresh temporary name (created exclusively, never following a link) and renamed over
 * the name: a symlink there is replaced itself, its target never touched. A directory of
 * that name is an error (an upload does not delete a directory of the repository), and
 * every name is checked again here by the same rules as on the queen.
 */
import { randomUUID } from 'node:crypto';
import { constants } from 'node:fs';
import { lstat, open, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { formatBytes, uploadNameProblem, type UploadedFile } from '../common/upload-files.ts';

/** A file could not be fetched or written; the job ends errored with this message. */
export class UploadFilesError extends Error {
  override name = 'UploadFilesError';
}

export interface PlaceFilesOptions {
  /** The queen's `ws(s)://` base URL (drone config); files come from its HTTP side. */
  queenUrl: string;
  token: string;
  jobId: string;
  lease: string;
  files: readonly UploadedFile[];
  workspace: string;
  signal: AbortSignal;
  log: (line: string) => void;
  /** Attempts per file when the queen cannot be reached or answers 5xx. */
  attempts?: number;
  retryDelayMs?: number;
}

/** The queen's HTTP base URL for its WebSocket base URL. */
export function queenHttpUrl(queenUrl: string): string {
  const url = new URL(queenUrl);
  url.protocol = url.protocol === 'wss:' ? 'https:' : url.protocol === 'ws:' ? 'http:' : url.protocol;
  return url.toString().replace(/\/+$/, '');
}

export async function placeUploadedFiles(options: PlaceFilesOptions): Promise<void> {
  const total = options.files.reduce((sum, f) => sum + f.size, 0);
  options.log(`Fetching ${options.files.length === 1 ? '1 uploaded file' : `${options.files.length} uploaded files`} (${formatBytes(total)}) into the workspace`);
  for (const file of options.files) {
    await placeFile(options, file);
    options.log(`  ${file.name} (${formatBytes(file.size)})`);
  }
}

async function placeFile(options: PlaceFilesOptions, file: UploadedFile): Promise<void> {
  const problem = uploadNameProblem(file.name);
  if (problem) throw new UploadFilesError(`the file name ${JSON.stringify(file.name)} ${problem}`);
  const target = join(options.workspace, file.name);
  const existing = await lstat(target).catch(() => undefined);
  if (existing?.isDirectory()) {
    throw new UploadFilesError(`the checkout has a directory named "${file.name}"; an uploaded file cannot replace it`);
  }
  const attempts = options.attempts ?? 3;
  for (let attempt = 1; ; attempt++) {
    try {
      await download(options, file, target);
      return;
    } catch (err) {
      const retry = err instanceof TransientError && attempt < attempts && !options.signal.aborted;
      if (!retry) throw err instanceof TransientError ? new UploadFilesError(err.message, { cause: err }) : err;
      await new Promise((resolve) => setTimeout(resolve, (options.retryDelayMs ?? 500) * attempt));
    }
  }
}

/** A failure another attempt may not have: the queen unreachable, a 5xx, a cut-off body. */
class TransientError extends Error {}

async function download(options: PlaceFilesOptions, file: UploadedFile, target: string): Promise<void> {
  const url = `${queenHttpUrl(options.queenUrl)}/drone/jobs/${encodeURIComponent(options.jobId)}/files/${encodeURIComponent(file.name)}`;
  let res: Response;
  try {
    res = await fetch(url, {
      headers: { authorization: `Bearer ${options.token}`, 'x-hive-lease': options.lease },
      signal: options.signal,
    });
  } catch (err) {
    if (options.signal.aborted) throw new UploadFilesError('stopped while fetching the files', { cause: err });
    throw new TransientError(`could not reach the queen for "${file.name}": ${(err as Error).message}`, { cause: err });
  }
  if (!res.ok || !res.body) {
    const reason = await res.json().then((b) => b?.error?.message as string | undefined, () => undefined);
    const text = `the queen answered ${res.status} for "${file.name}"${reason ? `: ${reason}` : ''}`;
    throw res.status >= 500 ? new TransientError(text) : new UploadFilesError(text);
  }
  // Exclusive create, no link followed: the temporary name is ours alone.
  const temp = join(options.workspace, `.hive-upload-${randomUUID()}`);
  const handle = await open(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o644);
  let written = 0;
  try {
    const count = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        written += chunk.length;
        done(written > file.size ? new UploadFilesError(`"${file.name}" is longer than the ${file.size} bytes announced`) : null, chunk);
      },
    });
    await pipeline(Readable.fromWeb(res.body as import('node:stream/web').ReadableStream), count, handle.createWriteStream());
    if (written !== file.size) throw new TransientError(`"${file.name}" arrived with ${written} of its ${file.size} bytes`);
    // rename() replaces whatever entry has the name — a symlink itself, not its target.
    await rename(temp, target);
  } catch (err) {
    await unlink(temp).catch(() => {});
    if (err instanceof UploadFilesError || err instanceof TransientError) throw err;
    if (options.signal.aborted) throw new UploadFilesError('stopped while fetching the files', { cause: err });
    throw new TransientError(`fetching "${file.name}" failed: ${(err as Error).message}`, { cause: err });
  } finally {
    await handle.close().catch(() => {});
  }
}
