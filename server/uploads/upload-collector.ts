/**
 * Stores the files of one trigger as one upload (`upload_files`, one upload id for all of
 * them; a run's jobs and re-runs share it). Names are checked before a byte of content is
 * read (common/upload-files.ts has the rules), and the total size as it arrives: the
 * files of a trigger may have `maxBytes` in all (HIVE_MAX_UPLOAD_BYTES), and the first
 * byte past it ends the request with a 413 — no file of it is kept.
 *
 * A file's content is held in memory only until it is stored (one row per file), so a
 * request holds at most the limit. Whoever collects must `discard()` when the trigger
 * fails afterwards, so nothing is left behind (retention also removes uploads no job
 * refers to, should the queen die in between).
 */
import { randomUUID } from 'node:crypto';
import { formatBytes, MAX_UPLOAD_FILES, uploadNameProblem, type UploadedFile } from '../../common/upload-files.ts';
import type { Db } from '../db/client.ts';
import { deleteUpload, insertUploadFile } from '../db/uploads.ts';
import { PayloadTooLargeError, ValidationError } from '../errors.ts';

/** Reads a file's content chunk by chunk (a multipart part, in practice). */
export interface ChunkSource {
  read(): Promise<Buffer | undefined>;
}

/** The 413 for files past the limit, in words users act on. */
export function uploadTooLarge(maxBytes: number): PayloadTooLargeError {
  if (maxBytes === 0) return new PayloadTooLargeError('This queen takes no files with builds (HIVE_MAX_UPLOAD_BYTES is 0)');
  return new PayloadTooLargeError(`The files are larger than the ${formatBytes(maxBytes)} a build may be sent in all (HIVE_MAX_UPLOAD_BYTES on the queen)`);
}

export class UploadCollector {
  readonly uploadId = randomUUID();
  readonly #files: UploadedFile[] = [];
  #total = 0;

  constructor(
    private readonly db: Db,
    private readonly projectId: string,
    private readonly maxBytes: number,
  ) {}

  /** The files stored so far, in the order they came. */
  get files(): readonly UploadedFile[] {
    return this.#files;
  }

  /**
   * Reads and stores one file. A browser sends a file field left empty as a nameless,
   * empty file: that is skipped; a nameless file with content is refused like any bad name.
   */
  async add(name: string, content: ChunkSource): Promise<void> {
    if (name !== '') this.#checkName(name);
    const chunks: Buffer[] = [];
    let size = 0;
    for (let chunk; (chunk = await content.read()); ) {
      size += chunk.length;
      if (this.#total + size > this.maxBytes) throw uploadTooLarge(this.maxBytes);
      chunks.push(Buffer.from(chunk));
    }
    if (name === '') {
      if (size === 0) return;
      this.#checkName(name);
    }
    if (this.maxBytes === 0) throw uploadTooLarge(0); // uploads are off: not even an empty file
    await insertUploadFile(this.db, { uploadId: this.uploadId, projectId: this.projectId, name, content: Buffer.concat(chunks, size) });
    this.#total += size;
    this.#files.push({ name, size });
  }

  /** Removes whatever was stored (the trigger failed). */
  async discard(): Promise<void> {
    if (this.#files.length > 0) await deleteUpload(this.db, this.uploadId);
    this.#files.length = 0;
  }

  #checkName(name: string): void {
    const shown = JSON.stringify(name.slice(0, 300));
    const problem = uploadNameProblem(name);
    if (problem) throw new ValidationError(`files: the file name ${shown} ${problem}`);
    if (this.#files.some((f) => f.name === name)) throw new ValidationError(`files: ${shown} is sent twice; file names must be unique`);
    if (this.#files.length >= MAX_UPLOAD_FILES) throw new ValidationError(`files: at most ${MAX_UPLOAD_FILES} files may be sent with a build`);
  }
}
