/**
 * Micro-benchmark of the wire parsers: messages per second for the frames a queen parses
 * most (output events, a short line and a full 64 KiB chunk, as JSON text and as the
 * binary data frames drones send since protocol 4), a `drone:hello`, and the `job:assign`
 * a drone parses. Raw frames in, as from the socket, so JSON.parse counts. Then what the
 * drone pays to make an output frame: `JSON.stringify` of the event against a data frame.
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

type Parse = (raw: string | Buffer, binary?: boolean) => unknown;
type EncodeDataFrame = (header: string, data: string) => Buffer;
const target = process.argv[2] ? pathToFileURL(resolve(process.argv[2])).href : '../common/protocol/index.ts';
const { parseDroneMessage, parseQueenMessage, encodeDataFrame } =
  (await import(target)) as { parseDroneMessage: Parse; parseQueenMessage: Parse; encodeDataFrame?: EncodeDataFrame };

const ev = { jobId: '0b5c1a7e-3f6d-4c1e-9d3b-6a2f1e9c7d40', lease: '5e8f2a1c-7b3d-4e6f-8a9c-1d2e3f4a5b6c', at: 1_700_000_000_000 };
const line = '\x1b[32m✓\x1b[0m compiles src/server/routes/events-socket.ts (12 ms)\n';
let chunk = '';
while (chunk.length + line.length < 64 * 1024) chunk += line;
/** A build's plainest output (a compiler's, `seq`'s): ASCII only, which decodes several times faster. */
const ascii = chunk.replaceAll('✓', 'v');

const header = (seq: number) => JSON.stringify({ type: 'job:cmd:stdout', ...ev, seq, cmd: 3 });
const binary = (parse: Parse): Parse => (raw) => parse(raw, true);
const cases: [name: string, parse: Parse, raw: string | Buffer][] = [
  ['job:cmd:stdout, one line', parseDroneMessage, JSON.stringify({ type: 'job:cmd:stdout', ...ev, seq: 42, cmd: 3, data: line })],
  ['job:cmd:stdout, 64 KiB', parseDroneMessage, JSON.stringify({ type: 'job:cmd:stdout', ...ev, seq: 43, cmd: 3, data: chunk })],
  // As the queen gets a text frame from its socket: bytes, which the parser decodes.
  ['job:cmd:stdout, 64 KiB, bytes', parseDroneMessage, Buffer.from(JSON.stringify({ type: 'job:cmd:stdout', ...ev, seq: 43, cmd: 3, data: chunk }))],
  ['job:cmd:stdout, ASCII, bytes', parseDroneMessage, Buffer.from(JSON.stringify({ type: 'job:cmd:stdout', ...ev, seq: 43, cmd: 3, data: ascii }))],
  ...(encodeDataFrame ? [
    ['data frame, one line', binary(parseDroneMessage), encodeDataFrame(header(42), line)],
    ['data frame, 64 KiB', binary(parseDroneMessage), encodeDataFrame(header(43), chunk)],
    ['data frame, 64 KiB ASCII', binary(parseDroneMessage), encodeDataFrame(header(43), ascii)],
  ] as [string, Parse, Buffer][] : []),
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
function rate(parse: Parse, raw: string | Buffer): number {
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
  console.log(`${name.padEnd(30)} ${Math.round(rate(parse, raw)).toLocaleString('en').padStart(12)} msgs/s  (${raw.length.toLocaleString('en')} bytes)`);
}

if (encodeDataFrame) {
  const encodings: [name: string, encode: () => unknown][] = [];
  for (const [what, data] of [['64 KiB', chunk], ['64 KiB ASCII', ascii]] as const) {
    const event = { jobId: ev.jobId, lease: ev.lease, type: 'job:cmd:stdout', cmd: 3, seq: 43, at: ev.at, data };
    encodings.push([`JSON text, ${what}`, () => Buffer.from(JSON.stringify(event))]);
    encodings.push([`data frame, ${what}`, () => { const { data: d, ...rest } = event; return encodeDataFrame(JSON.stringify(rest), d); }]);
  }
  console.log('the drone making an output frame:');
  for (const [name, encode] of encodings) {
    console.log(`${name.padEnd(30)} ${Math.round(rate(() => encode(), '')).toLocaleString('en').padStart(12)} frames/s`);
  }
}
