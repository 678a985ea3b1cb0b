/**
 * The readers of `bench/log-reads.ts`, in a process of their own as readers on other
 * machines would be, so the queen's figures do not include the readers' own work.
 * argv: url token jobId readers readsEach; prints the latencies (ms) as a JSON array.
 */
import { get } from 'node:http';
import { performance } from 'node:perf_hooks';

const [url, token, jobId, readersArg, readsArg] = process.argv.slice(2);

/** One whole read on a connection of its own, as separate browsers make. */
function readLog(): Promise<number> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    get(`${url}/api/jobs/${jobId}/log`, { agent: false, headers: { authorization: `Bearer ${token}` } }, (res) => {
      let bytes = 0;
      res.on('data', (chunk: Buffer) => { bytes += chunk.length; });
      res.on('end', () => {
        if (res.statusCode !== 200 || bytes < 1024) reject(new Error(`the log read answered ${res.statusCode} with ${bytes} bytes`));
        else resolve(performance.now() - t0);
      });
      res.on('error', reject);
    }).on('error', reject);
  });
}

const samples: number[] = [];
await Promise.all(Array.from({ length: Number(readersArg) }, async () => {
  for (let i = 0; i < Number(readsArg); i++) samples.push(await readLog());
}));
process.stdout.write(JSON.stringify(samples));
