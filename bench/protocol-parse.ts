/**
 * Micro-benchmark of the wire parsers: messages per second for the frames a queen parses
 * most (output events, a short line and a full 64 KiB chunk), a `drone:hello`, and the
 * `job:assign` a drone parses. Raw strings in, as from the socket, so JSON.parse counts.
 *
 *   node --import tsx bench/protocol-parse.ts [path/to/protocol/index.ts]
 *
 * The optional path compares another version of the parsers, e.g. the one before a change:
 *   mkdir -p /tmp/old && for f in $(git ls-tree --name-only HEAD common/protocol/); do
 *     git show HEAD:$f > /tmp/old/${f##*\/}; done
 *   node --import tsx bench/protocol-parse.ts /tmp/old/index.ts
 */
import { resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';

type Parse = (raw: string | Buffer) => unknown;
const target = process.argv[2] ? pathToFileURL(resolve(process.argv[2])).href : '../common/protocol/index.ts';
const { parseDroneMessage, parseQueenMessage } = (await import(target)) as { parseDroneMessage: Parse; parseQueenMessage: Parse };

const ev = { jobId: '0b5c1a7e-3f6d-4c1e-9d3b-6a2f1e9c7d40', lease: '5e8f2a1c-7b3d-4e6f-8a9c-1d2e3f4a5b6c', at: 1_700_000_000_000 };
const line = '\x1b[32m✓\x1b[0m compiles src/server/routes/events-socket.ts (12 ms)\n';
let chunk = '';
while (chunk.length + line.length < 64 * 1024) chunk += line;

const cases: [name: string, parse: Parse, raw: string][] = [
  ['job:cmd:stdout, one line', parseDroneMessage, JSON.stringify({ type: 'job:cmd:stdout', ...ev, seq: 42, cmd: 3, data: line })],
  ['job:cmd:stdout, 64 KiB', parseDroneMessage, JSON.stringify({ type: 'job:cmd:stdout', ...ev, seq: 43, cmd: 3, data: chunk })],
  ['drone:hello', parseDroneMessage, JSON.stringify({
    type: 'drone:hello', version: 1, name: 'builder-07', capacity: 4, speed: 1.5,
    labels: ['linux', 'x64', 'docker'], plugins: ['node', 'docker', 'custom'],
    running: [{ jobId: ev.jobId, lease: ev.lease, lastSeq: 17 }],
  })],
  ['job:assign', parseQueenMessage, JSON.stringify({
    type: 'job:assign', lease: ev.lease,
    spec: {
      jobId: ev.jobId, projectId: ev.lease, projectName: 'demo', number: 12, type: 'TEST',
      checkout: { repoUrl: 'https://example.com/demo.git', sha: 'a'.repeat(40), branch: 'main' },
      image: 'node:20', container: { pull: 'if-not-present', privileged: false, memoryMb: 2048 },
      env: { NODE_ENV: 'test', CI: 'true' }, secrets: { NPM_TOKEN: 'x' },
      phases: { environment: [], prepare: [{ run: 'npm ci' }], test: [{ run: 'npm test' }, { run: 'npm run lint' }], deploy: [], cleanup: [] },
      timeoutMs: 1_800_000, requires: { labels: ['linux'], plugins: ['node'] },
    },
  })],
];

/** Best of five rounds of about 300 ms each, after a warm-up that lets the JIT settle. */
function rate(parse: Parse, raw: string): number {
  for (let i = 0; i < 2000; i++) parse(raw);
  let best = 0;
  for (let round = 0; round < 5; round++) {
    let n = 0;
    const start = performance.now();
    let elapsed = 0;
    while (elapsed < 300) {
      for (let i = 0; i < 200; i++) parse(raw);
      n += 200;
      elapsed = performance.now() - start;
    }
    best = Math.max(best, (n / elapsed) * 1000);
  }
  return best;
}

console.log(`parsers: ${process.argv[2] ?? 'common/protocol'}`);
for (const [name, parse, raw] of cases) {
  console.log(`${name.padEnd(28)} ${Math.round(rate(parse, raw)).toLocaleString('en').padStart(12)} msgs/s  (${raw.length.toLocaleString('en')} bytes)`);
}
