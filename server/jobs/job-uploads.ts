/**
 * The files a job is built with: those of its upload (sent with its trigger, shared by a
 * run's jobs and by re-runs), listed by name and size for its spec. A job whose upload is
 * gone — retention removed it after the logs of every build that used it — cannot be
 * built as it was, so its resolution fails saying so rather than building without them.
 */
import type { UploadedFile } from '../../common/upload-files.ts';
import type { Db } from '../db/client.ts';
import { listUploadFiles } from '../db/uploads.ts';
import { ResolveError } from '../errors.ts';

export async function uploadedFiles(db: Db, job: { uploadId: string | null }): Promise<UploadedFile[]> {
  if (!job.uploadId) return [];
  const files = await listUploadFiles(db, job.uploadId);
  if (files.length === 0) {
    throw new ResolveError('The files uploaded with this build were removed by retention; start a new build and send them again');
  }
  return files;
}
