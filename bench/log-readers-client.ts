/**
 * The readers of `bench/log-reads.ts`, in a process of their own as readers on other
 * machines would be, so the queen's figures do not include the readers' own work.
 * argv: url token jobId readers readsEach [plain|gzip|gzip-bytes]; prints the latencies
 * (ms) as a JSON array. `gzip`: the readers ask for it and gunzip what they get, as
 * browsers do — a read ends when the whole text is decompressed; `gzip-bytes`: a read ends
 * with the last compressed byte (the queen's part, without the readers' decompression).
 */
import { get, type IncomingMessage } from 'node:http';
import { performance } from 'node:perf_hooks';
import { createGunzip } from 'node:zlib';

const [url, token, jobId, readersArg, readsArg, encoding = 'plain'] = process.argv.slice(2);
const gzip = encoding.startsWith('gzip');

/** The answer's text as it arrives, decompressed when it was sent gzip'd (unless `gzip-bytes`). */
const textOf = (res: IncomingMessage) => (res.headers['content-encoding'] === 'gzip' && encoding === 'gzip' ? res.pipe(createGunzip()) : res);

/** One whole read on a connection of its own, as separate browsers make. */
function readLog(): Promise<number> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const headers = { authorization: `Bearer ${token}`, ...(gzip && { 'accept-encoding': 'gzip' }) };
    get(`${url}/api/jobs/${jobId}/log`, { agent: false, headers }, (res) => {
      if (gzip !== (res.headers['content-encoding'] === 'gzip')) reject(new Error(`asked for ${encoding}, got ${res.headers['content-encoding'] ?? 'plain'}`));
      let bytes = 0;
      const text = textOf(res);
      text.on('data', (chunk: Buffer) => { bytes += chunk.length; });
      text.on('end', () => {
        if (res.statusCode !== 200 || bytes < 1024) reject(new Error(`the log read answered ${res.statusCode} with ${bytes} bytes`));
        else resolve(performance.now() - t0);
      });
      text.on('error', reject);
    }).on('error', reject);
  });
}

const samples: number[] = [];
await Promise.all(Array.from({ length: Number(readersArg) }, async () => {
  for (let i = 0; i < Number(readsArg); i++) samples.push(await readLog());
}));
process.stdout.write(JSON.stringify(samples));
