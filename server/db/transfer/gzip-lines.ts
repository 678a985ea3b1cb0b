/**
 * Reading and writing an export file's lines through gzip, as streams: a file of
 * gigabytes passes through a few chunks of memory. Reading turns what zlib and the file
 * system say about a bad file into an ExportFileError that says it in the user's terms.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import { pipeline } from 'node:stream/promises';
import { createGunzip, createGzip } from 'node:zlib';
import { ExportFileError } from './transfer-format.ts';

function fileError(err: unknown, file: string): Error {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'Z_DATA_ERROR') return new ExportFileError('it is not a Hive database export (not gzip-compressed, or damaged)', { cause: err });
  if (code === 'Z_BUF_ERROR') return new ExportFileError('the file is cut short (its compressed data ends in the middle)', { cause: err });
  if (code === 'ENOENT') return new ExportFileError(`there is no file ${file}`, { cause: err });
  if (code === 'EISDIR') return new ExportFileError(`${file} is a directory`, { cause: err });
  if (code === 'EACCES') return new ExportFileError(`${file} cannot be read (permission denied)`, { cause: err });
  return err as Error;
}

/** The file's lines, decompressed, without their line ends. Stops reading when the caller stops iterating. */
export async function* readGzipLines(file: string): AsyncGenerator<string> {
  const source = createReadStream(file);
  const gunzip = createGunzip();
  source.on('error', (err) => gunzip.destroy(err));
  source.pipe(gunzip);
  const decoder = new StringDecoder('utf8');
  let pending = '';
  try {
    for await (const chunk of gunzip) {
      pending += decoder.write(chunk as Buffer);
      let start = 0;
      for (let end = pending.indexOf('\n'); end !== -1; end = pending.indexOf('\n', start)) {
        yield pending.slice(start, end);
        start = end + 1;
      }
      pending = pending.slice(start);
    }
  } catch (err) {
    throw fileError(err, file);
  } finally {
    source.destroy();
    gunzip.destroy();
  }
  pending += decoder.end();
  if (pending !== '') yield pending;
}

/**
 * Writes the generated text through gzip into a new `file`, honouring backpressure; the file
 * is readable by its owner only (an export holds password hashes and sealed secrets).
 */
export async function writeGzip(text: AsyncIterable<string>, file: string): Promise<number> {
  const out = createWriteStream(file, { flags: 'wx', mode: 0o600 });
  await pipeline(text, createGzip(), out);
  return out.bytesWritten;
}
