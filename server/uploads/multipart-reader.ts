/**
 * Reads a `multipart/form-data` body (RFC 7578) as it arrives, part by part and each
 * part's content chunk by chunk, so an upload is never buffered whole by the parser and a
 * body past its limit is refused as soon as the limit is crossed — not after reading it
 * all, as `Request.formData()` (and Hono's `parseBody`) would.
 *
 *   const reader = new MultipartReader(request.body, boundary, { maxBytes, tooLarge });
 *   for (let part; (part = await reader.next()); ) {
 *     if (part.filename === undefined) text = await reader.text(1024);
 *     else for (let chunk; (chunk = await reader.read()); ) store(chunk);
 *   }
 *
 * A part not read to its end is skipped by the next `next()`. Malformed bodies are
 * `MultipartError`s (400) saying what is wrong.
 */
import { ValidationError } from '../errors.ts';

/** A body that is not well-formed multipart/form-data. */
export class MultipartError extends ValidationError {}

export interface PartHeaders {
  /** The form field's name (`Content-Disposition: form-data; name="…"`). */
  name: string;
  /** Present for file fields: the file's name as the client sent it (may be empty). */
  filename?: string;
  contentType?: string;
}

export interface MultipartLimits {
  /** The most bytes the whole body may have. */
  maxBytes: number;
  /** The error thrown once the body grows past `maxBytes` (a 413). */
  tooLarge: () => Error;
}

/** Bytes of a part's header block; browsers send a few hundred. */
const MAX_HEADER_BYTES = 16 * 1024;
/** Text before the first boundary, which the format allows and readers ignore. */
const MAX_PREAMBLE_BYTES = 16 * 1024;
/** More parts than a trigger (a few fields and MAX_UPLOAD_FILES files) ever needs. */
const MAX_PARTS = 1000;

const HEADER_END = Buffer.from('\r\n\r\n');
const CRLF = Buffer.from('\r\n');

/** The boundary a `multipart/form-data` Content-Type names; undefined for other types. */
export function multipartBoundary(contentType: string | undefined): string | undefined {
  const { type, params } = parseHeaderValue(contentType ?? '');
  if (type.toLowerCase() !== 'multipart/form-data') return undefined;
  const boundary = params.boundary;
  if (!boundary || boundary.length > 70) throw new MultipartError('The multipart/form-data Content-Type needs a boundary of 1 to 70 characters');
  return boundary;
}

export class MultipartReader {
  readonly #reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  readonly #delimiter: Buffer;
  readonly #limits: MultipartLimits;
  /**
   * Unconsumed input. It starts with a CRLF of our own, so the first boundary (which the
   * body may open with, without a CRLF before it) is found like every other.
   */
  #buf: Buffer = CRLF;
  #ended = false;
  #state: 'preamble' | 'body' | 'boundary' | 'done' = 'preamble';
  #bytes = 0;
  #parts = 0;

  constructor(body: ReadableStream<Uint8Array> | null, boundary: string, limits: MultipartLimits) {
    this.#reader = body?.getReader();
    this.#delimiter = Buffer.from(`\r\n--${boundary}`, 'latin1');
    this.#limits = limits;
  }

  /** Bytes of the body read so far. */
  get bytesRead(): number {
    return this.#bytes;
  }

  /** The next part's headers (the rest of the current part is skipped); undefined after the last. */
  async next(): Promise<PartHeaders | undefined> {
    if (this.#state === 'done') return undefined;
    if (this.#state === 'body') while ((await this.read()) !== undefined);
    if (this.#state === 'preamble') await this.#skipPreamble();
    else this.#buf = this.#buf.subarray(this.#delimiter.length); // 'boundary': read() stopped at it
    await this.#need(2, 'after a boundary');
    if (this.#buf[0] === 0x2d && this.#buf[1] === 0x2d) { // "--": the closing boundary
      this.#state = 'done';
      await this.cancel(); // whatever follows (the epilogue) is not ours to read
      return undefined;
    }
    await this.#skipBoundaryLineEnd();
    if (++this.#parts > MAX_PARTS) throw new MultipartError(`The body has more than ${MAX_PARTS} parts`);
    const headers = parsePartHeaders(await this.#headerBlock());
    this.#state = 'body';
    return headers;
  }

  /** The next chunk of the current part's content; undefined at its end. */
  async read(): Promise<Buffer | undefined> {
    if (this.#state !== 'body') return undefined;
    for (;;) {
      const at = this.#buf.indexOf(this.#delimiter);
      if (at >= 0) {
        const chunk = this.#buf.subarray(0, at);
        this.#buf = this.#buf.subarray(at);
        this.#state = 'boundary';
        return chunk.length > 0 ? chunk : undefined;
      }
      // All but a tail that may be the start of the delimiter is content.
      const keep = this.#delimiter.length - 1;
      if (this.#buf.length > keep) {
        const chunk = this.#buf.subarray(0, this.#buf.length - keep);
        this.#buf = this.#buf.subarray(this.#buf.length - keep);
        return chunk;
      }
      if (!(await this.#fill())) throw new MultipartError('The multipart body ended inside a part (its closing boundary is missing)');
    }
  }

  /** The current part's content as UTF-8 text; a MultipartError past `maxBytes` (naming the field). */
  async text(maxBytes: number, field: string): Promise<string> {
    const chunks: Buffer[] = [];
    let size = 0;
    for (let chunk; (chunk = await this.read()); ) {
      size += chunk.length;
      if (size > maxBytes) throw new MultipartError(`The field "${field}" is longer than ${maxBytes} bytes`);
      chunks.push(Buffer.from(chunk));
    }
    return Buffer.concat(chunks).toString('utf8');
  }

  /** Stops reading the body (after an error, or once the closing boundary is read). */
  async cancel(): Promise<void> {
    this.#state = 'done';
    await this.#reader?.cancel().catch(() => {});
  }

  async #fill(): Promise<boolean> {
    if (this.#ended || !this.#reader) return false;
    const { done, value } = await this.#reader.read();
    if (done) {
      this.#ended = true;
      return false;
    }
    this.#bytes += value.length;
    if (this.#bytes > this.#limits.maxBytes) throw this.#limits.tooLarge();
    const incoming = Buffer.from(value.buffer, value.byteOffset, value.length);
    this.#buf = this.#buf.length > 0 ? Buffer.concat([this.#buf, incoming]) : incoming;
    return true;
  }

  async #need(bytes: number, where: string): Promise<void> {
    while (this.#buf.length < bytes) {
      if (!(await this.#fill())) throw new MultipartError(`The multipart body ended ${where}`);
    }
  }

  async #skipPreamble(): Promise<void> {
    let skipped = 0;
    for (;;) {
      const at = this.#buf.indexOf(this.#delimiter);
      if (at >= 0) {
        this.#buf = this.#buf.subarray(at + this.#delimiter.length);
        return;
      }
      const keep = this.#delimiter.length - 1;
      if (this.#buf.length > keep) {
        skipped += this.#buf.length - keep;
        this.#buf = this.#buf.subarray(this.#buf.length - keep);
      }
      if (skipped > MAX_PREAMBLE_BYTES || !(await this.#fill())) {
        throw new MultipartError('The body is not multipart/form-data with the boundary its Content-Type names');
      }
    }
  }

  /** A boundary line may end in spaces or tabs before its CRLF (RFC 2046 transport padding). */
  async #skipBoundaryLineEnd(): Promise<void> {
    for (let i = 0; ; i++) {
      await this.#need(i + 2, 'after a boundary');
      const byte = this.#buf[i];
      if (byte === 0x20 || byte === 0x09) continue;
      if (byte === 0x0d && this.#buf[i + 1] === 0x0a) {
        this.#buf = this.#buf.subarray(i + 2);
        return;
      }
      throw new MultipartError('A multipart boundary is followed by something other than a line break');
    }
  }

  /** The part's header lines, up to and without the blank line that ends them. */
  async #headerBlock(): Promise<string> {
    for (;;) {
      // No header at all: the blank line comes at once.
      if (this.#buf.length >= 2 && this.#buf[0] === 0x0d && this.#buf[1] === 0x0a) {
        this.#buf = this.#buf.subarray(2);
        return '';
      }
      const end = this.#buf.indexOf(HEADER_END);
      if (end >= 0) {
        const block = this.#buf.subarray(0, end).toString('utf8');
        this.#buf = this.#buf.subarray(end + HEADER_END.length);
        return block;
      }
      if (this.#buf.length > MAX_HEADER_BYTES) throw new MultipartError(`A part's headers are longer than ${MAX_HEADER_BYTES} bytes`);
      if (!(await this.#fill())) throw new MultipartError("The multipart body ended inside a part's headers");
    }
  }
}

function parsePartHeaders(block: string): PartHeaders {
  const headers = new Map<string, string>();
  let last: string | undefined;
  for (const line of block.split('\r\n')) {
    if (line === '') continue;
    if ((line[0] === ' ' || line[0] === '\t') && last) { // an obsolete folded continuation
      headers.set(last, `${headers.get(last)} ${line.trim()}`);
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) throw new MultipartError(`A part has a malformed header line: ${JSON.stringify(line.slice(0, 100))}`);
    last = line.slice(0, colon).trim().toLowerCase();
    headers.set(last, line.slice(colon + 1).trim());
  }
  const disposition = headers.get('content-disposition');
  if (!disposition) throw new MultipartError('A part of the multipart body has no Content-Disposition header');
  const { type, params } = parseHeaderValue(disposition);
  if (type.toLowerCase() !== 'form-data') throw new MultipartError(`A part's Content-Disposition is "${type.slice(0, 50)}", not form-data`);
  if (params.name === undefined) throw new MultipartError('A part of the multipart body has no field name');
  let filename = params.filename;
  const extended = params['filename*'];
  if (extended !== undefined) filename = decodeExtendedValue(extended) ?? filename;
  return { name: params.name, ...(filename !== undefined && { filename }), ...(headers.has('content-type') && { contentType: headers.get('content-type') }) };
}

/** `type; key=value; key="quoted \"value\""` → the type and the parameters (keys lower-cased). */
export function parseHeaderValue(value: string): { type: string; params: Record<string, string> } {
  const params: Record<string, string> = {};
  const semi = value.indexOf(';');
  const type = (semi === -1 ? value : value.slice(0, semi)).trim();
  let i = semi === -1 ? value.length : semi + 1;
  while (i < value.length) {
    while (i < value.length && /[\s;]/.test(value[i])) i++;
    const eq = value.indexOf('=', i);
    if (eq === -1) break;
    const key = value.slice(i, eq).trim().toLowerCase();
    i = eq + 1;
    let v = '';
    if (value[i] === '"') {
      // Browsers (and fetch) send a backslash as itself and a quote as %22; curl escapes a
      // quote as \". So only that pair is an escape: a name's backslash stays a backslash,
      // and is refused like any path separator.
      for (i++; i < value.length && value[i] !== '"'; i++) {
        if (value[i] === '\\' && value[i + 1] === '"') i++;
        v += value[i];
      }
      i++; // the closing quote
    } else {
      const end = value.indexOf(';', i);
      v = value.slice(i, end === -1 ? value.length : end).trim();
      i = end === -1 ? value.length : end;
    }
    if (key && !Object.hasOwn(params, key)) params[key] = v;
  }
  return { type, params };
}

/** RFC 8187 `UTF-8''na%C3%AFve.txt` → `naïve.txt`; undefined when it is not that form. */
function decodeExtendedValue(value: string): string | undefined {
  const match = /^utf-8'[^']*'(.*)$/i.exec(value);
  if (!match) return undefined;
  try {
    return decodeURIComponent(match[1]);
  } catch {
    return undefined;
  }
}
