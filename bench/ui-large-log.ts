/**
 * The build page with a 200 MB log (about 2.6 million lines) in chromium: how long the
 * whole log takes to arrive and be indexed, the longest main-thread task meanwhile (the
 * tab must stay responsive), how many rows the DOM holds, and how fast a far line is
 * reached.   node --import tsx bench/ui-large-log.ts [megabytes]
 */
import { encodeChunkEvents } from '../server/db/log-chunk-body.ts';
import { randomUUID } from 'node:crypto';
import { jobLogChunks, jobs } from '../server/db/schema.ts';
import { loggedInBrowser } from './ui-helpers.ts';

const MB = Number(process.argv[2] ?? 200);
const { queen, context, close } = await loggedInBrowser();
const db = queen.testDb.db;
const project = (await queen.api('POST', '/api/projects', { name: 'huge', repoUrl: '/srv/git/huge' })).body;
const jobId = randomUUID();
const at = Date.now();

// 64 KiB output events of ~78-character lines, some coloured; four events per stored chunk.
let lineNo = 0;
const outputEvent = (seq: number) => {
  let data = '';
  while (data.length < 64 * 1024 - 100) {
    lineNo++;
    data += lineNo % 10 === 0
      ? `\x1b[32m✓\x1b[0m test ${lineNo} passes \x1b[2m(${lineNo % 997} ms)\x1b[0m ${'.'.repeat(40)}\n`
      : `line ${lineNo}: ${'lorem ipsum dolor sit amet '.repeat(2)}${'x'.repeat(10)}\n`;
  }
  return { seq, at, type: 'job:cmd:stdout' as const, cmd: 0, data };
};
const eventCount = Math.ceil((MB * 1024 * 1024) / (64 * 1024));
await db.insert(jobs).values({
  id: jobId, projectId: project.id, number: 1, type: 'TEST', status: 'passed', ref: { branch: 'main', sha: 'a'.repeat(40) },
  trigger: { source: { type: 'api' }, at: new Date(at).toISOString() }, lastSeq: eventCount + 3,
  createdAt: new Date(at), startedAt: new Date(at), finishedAt: new Date(at + 60_000),
});
let seq = 1;
const t0 = Date.now();
await db.insert(jobLogChunks).values({ jobId, seqFrom: 1, seqTo: 1, attempt: 1, ...await encodeChunkEvents([{ seq: seq++, at, type: 'job:cmd:start', cmd: 0, phase: 'test', command: 'big-test-suite' }]) });
while (seq <= eventCount + 1) {
  const events = [];
  for (let k = 0; k < 4 && seq <= eventCount + 1; k++) events.push(outputEvent(seq++));
  await db.insert(jobLogChunks).values({ jobId, seqFrom: events[0].seq, seqTo: events[events.length - 1].seq, attempt: 1, ...await encodeChunkEvents(events) });
}
await db.insert(jobLogChunks).values({ jobId, seqFrom: seq, seqTo: seq + 1, attempt: 1, ...await encodeChunkEvents([
  { seq, at, type: 'job:cmd:done', cmd: 0, exitCode: 0, durationMs: 60_000 },
  { seq: seq + 1, at, type: 'job:done', status: 'passed' },
]) });
console.log(`stored ${MB} MB (${lineNo.toLocaleString('en')} lines, ${eventCount} events) in ${Date.now() - t0} ms`);

const page = await context.newPage();
await page.addInitScript(() => {
  (window as any).longestTask = 0;
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) (window as any).longestTask = Math.max((window as any).longestTask, e.duration);
  }).observe({ type: 'longtask', buffered: true });
  // Input latency while the log streams in: how late a 50 ms timer fires, at worst.
  (window as any).worstTimerDelay = 0;
  let expected = performance.now() + 50;
  setInterval(() => {
    const now = performance.now();
    (window as any).worstTimerDelay = Math.max((window as any).worstTimerDelay, now - expected);
    expected = now + 50;
  }, 50);
});
const start = Date.now();
await page.goto(`${queen.url}/builds/${jobId}`);
await page.locator('#log .ln').first().waitFor();
const firstLines = Date.now() - start;
await page.locator('#log-info', { hasText: 'complete' }).waitFor({ timeout: 600_000 });
const complete = Date.now() - start;
const stats = await page.evaluate(() => ({
  longestTask: (window as any).longestTask as number,
  worstTimerDelay: (window as any).worstTimerDelay as number,
  rows: document.querySelectorAll('#log .ln').length,
  domNodes: document.getElementsByTagName('*').length,
  heapMB: Math.round(((performance as any).memory?.usedJSHeapSize ?? 0) / 1048576),
  info: document.getElementById('log-info')!.textContent,
}));
console.log(`first lines on screen after ${firstLines} ms; whole log loaded after ${complete} ms (${stats.info})`);
console.log(`longest main-thread task ${stats.longestTask.toFixed(0)} ms; worst lateness of a 50 ms timer ${stats.worstTimerDelay.toFixed(0)} ms`);
console.log(`log rows in the DOM: ${stats.rows}; DOM elements on the page: ${stats.domNodes}; JS heap ${stats.heapMB} MB`);

const target = Math.floor(lineNo / 2);
const t1 = Date.now();
await page.evaluate((n) => (location.hash = `#L${n}`), target);
await page.locator(`#log .ln.hl[data-line="${target}"]`).waitFor();
console.log(`jumped to line ${target.toLocaleString('en')} in ${Date.now() - t1} ms`);
const near = Math.floor((lineNo - 20) / 10) * 10;
const t2 = Date.now();
await page.locator('#log-find').fill(`test ${near} passes`);
await page.locator('#log-search button').click();
await page.locator('#log .ln.hl', { hasText: `test ${near} passes` }).waitFor();
console.log(`found a line near the end by search in ${Date.now() - t2} ms`);
await close();
