/**
 * Joins small chunks of a response into writes of at least `minBytes`; bigger chunks pass
 * as they are (no copy). A running log's shared text grows by small pieces, and a gzip'd
 * log is made of small compressed pieces: written one by one, each is its own socket
 * write and its own chunk for the client to take apart.
 */
export async function* coalescedChunks(chunks: AsyncIterable<Buffer | string>, minBytes: number): AsyncGenerator<Buffer> {
  let held: Buffer[] = [];
  let heldBytes = 0;
  for await (const chunk of chunks) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    if (bytes.length === 0) continue;
    held.push(bytes);
    heldBytes += bytes.length;
    if (heldBytes >= minBytes) {
      yield held.length === 1 ? held[0] : Buffer.concat(held, heldBytes);
      held = [];
      heldBytes = 0;
    }
  }
  if (heldBytes > 0) yield held.length === 1 ? held[0] : Buffer.concat(held, heldBytes);
}
