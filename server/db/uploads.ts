/**
 * Queries on uploaded files (`upload_files`): one row per file of a trigger's upload,
 * its content a bytea.
 *
 * Content travels as base64 text (`decode`/`encode` in SQL) rather than as a bytea
 * parameter: PGlite's own bytea codecs worked byte by byte in JavaScript (~25 s for 50 MiB
 * each way, against ~5 s in and ~1 s out as base64) until pglite-bytea.ts replaced them,
 * and the `postgres` driver sends bytea as hex text, twice the bytes, where base64 is a
 * third more.
 * Files are read back in slices, so a download never holds a whole file in memory.
 */
import { and, asc, eq, lt, sql } from 'drizzle-orm';
import type { UploadedFile } from '../../common/upload-files.ts';
import type { Db } from './client.ts';
import { firstRow } from './first-row.ts';
import { jobs, uploadFiles } from './schema.ts';

export interface NewUploadFile {
  uploadId: string;
  projectId: string;
  name: string;
  content: Buffer;
}

export async function insertUploadFile(db: Db, file: NewUploadFile): Promise<void> {
  await db.insert(uploadFiles).values({
    uploadId: file.uploadId,
    projectId: file.projectId,
    name: file.name,
    size: file.content.length,
    content: sql`decode(${file.content.toString('base64')}, 'base64')`,
  });
}

/** The files of an upload, by name; empty when there is no such upload (or it was removed). */
export async function listUploadFiles(db: Db, uploadId: string): Promise<UploadedFile[]> {
  return db
    .select({ name: uploadFiles.name, size: uploadFiles.size })
    .from(uploadFiles)
    .where(eq(uploadFiles.uploadId, uploadId))
    .orderBy(asc(uploadFiles.name));
}

export async function findUploadFile(db: Db, uploadId: string, name: string): Promise<UploadedFile | undefined> {
  return firstRow(db
    .select({ name: uploadFiles.name, size: uploadFiles.size })
    .from(uploadFiles)
    .where(and(eq(uploadFiles.uploadId, uploadId), eq(uploadFiles.name, name))));
}

/** `length` bytes of a file from byte `offset` (fewer at its end). */
export async function readUploadSlice(db: Db, uploadId: string, name: string, offset: number, length: number): Promise<Buffer> {
  const row = await firstRow(db
    .select({ slice: sql<string>`encode(substring(${uploadFiles.content} from ${offset + 1} for ${length}), 'base64')` })
    .from(uploadFiles)
    .where(and(eq(uploadFiles.uploadId, uploadId), eq(uploadFiles.name, name))));
  return Buffer.from(row?.slice ?? '', 'base64');
}

/** Deletes every file of an upload (a trigger that failed after storing them). */
export async function deleteUpload(db: Db, uploadId: string): Promise<number> {
  const rows = await db.delete(uploadFiles).where(eq(uploadFiles.uploadId, uploadId)).returning({ name: uploadFiles.name });
  return rows.length;
}

/**
 * Deletes up to `limit` files of uploads stored before `before` that nothing needs any
 * more: no job whose log is still kept refers to them — retention removed the logs of all
 * that did, or none ever did (an upload cut off halfway, a trigger that failed after
 * storing). `before` leaves a trigger in progress the time to insert its jobs. Returns
 * how many files it deleted.
 */
export async function deleteUnneededUploads(db: Db, before: Date, limit: number): Promise<number> {
  const needed = sql`exists (select 1 from ${jobs} where ${jobs.uploadId} = ${uploadFiles.uploadId} and ${jobs.logPrunedAt} is null)`;
  const batch = db
    .select({ uploadId: uploadFiles.uploadId, name: uploadFiles.name })
    .from(uploadFiles)
    .where(and(lt(uploadFiles.createdAt, before), sql`not ${needed}`))
    .limit(limit);
  const deleted = await db
    .delete(uploadFiles)
    .where(sql`(${uploadFiles.uploadId}, ${uploadFiles.name}) in ${batch}`)
    .returning({ name: uploadFiles.name });
  return deleted.length;
}
