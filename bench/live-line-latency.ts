/**
 * Live line latency (#13): from a command printing a line to a browser watching the build
 * showing it. A real queen (in this process), a real drone process (process executor) and
 * chromium on the build page. The job's command prints `tick <i> <epoch ns>` every 100 ms;
 * in the page a MutationObserver notes the wall-clock time each tick first appears in the
 * log view's DOM (the frame that inserts it paints it). Same machine, same clock, so
 * shown − printed is the latency. The split uses the drone's event `at` (when the output
 * coalescer emitted the line) and the time the queen's bus announced the stored batch.
 * Prints figures, asserts nothing.
 * Used by bench/run.ts; alone: `node --import tsx bench/live-line-latency.ts [jobs]`.
 */
import type { StoredEvent } from '../server/db/job-log.ts';
import { connectDrone } from '../test/helpers/drone-process.ts';
import { createGitRepo } from '../test/helpers/git-repo.ts';
import { loggedInBrowser } from './ui-helpers.ts';

const TICKS = 40;
// The ticks printed before the page subscribed would arrive as history, not live: wait first.
const COMMAND = `sleep 2; for i in $(seq 1 ${TICKS}); do echo "tick $i $(date +%s%N)"; sleep 0.1; done`;
const TICK = /tick (\d+) (\d{19})/;

/** One measured line, all in epoch milliseconds. */
export interface TickTimes { printed: number; emitted: number; stored: number; shown: number }

export async function benchLiveLineLatency(jobs = 2): Promise<TickTimes[]> {
  const { queen, context, close } = await loggedInBrowser();
  const repo = await createGitRepo({ files: { README: 'bench\n' } });
  const drone = await connectDrone(queen, { name: 'bench-live', capacity: 1 });
  // Per tick number of the current job: the drone's emit time and when the queen announced it stored.
  let onQueen = new Map<number, { emitted: number; stored: number }>();
  const onEvents = (_jobId: string, events: StoredEvent[]) => {
    const stored = Date.now();
    for (const e of events) {
      if (e.type !== 'job:cmd:stdout') continue;
      for (const m of e.data.matchAll(new RegExp(TICK, 'g'))) onQueen.set(Number(m[1]), { emitted: e.at, stored });
    }
  };
  queen.bus.on('job-events', onEvents);
  const results: TickTimes[] = [];
  try {
    const project = (await queen.api('POST', '/api/projects', { name: 'bench-live', repoUrl: repo.url, config: { phases: { test: [COMMAND] } } })).body;
    const page = await context.newPage();
    await page.addInitScript(() => {
      const shown: Record<string, number> = {};
      (window as any).tickShown = shown;
      // Rows are redrawn as the view scrolls: keep the first time each tick was in the DOM.
      new MutationObserver(() => {
        const at = performance.timeOrigin + performance.now();
        for (const row of document.querySelectorAll('#log .ln')) {
          const m = /tick (\d+) \d{19}/.exec(row.textContent ?? '');
          if (m && !(m[1] in shown)) shown[m[1]] = at;
        }
      }).observe(document, { childList: true, subtree: true, characterData: true });
    });
    for (let j = 0; j < jobs; j++) {
      onQueen = new Map();
      const id = (await queen.api('POST', `/api/projects/${project.id}/jobs`, {})).body.id;
      await page.goto(`${queen.url}/builds/${id}`);
      await page.locator('#log').waitFor();
      const subscribedBy = Date.now();
      const job = await queen.waitForJob(id, undefined, 60_000);
      if (job.status !== 'passed') throw new Error(`live-latency job ${job.status}: ${job.message}`);
      await page.locator('#log .ln', { hasText: `tick ${TICKS} ` }).waitFor();
      const shown: Record<string, number> = await page.evaluate(() => (window as any).tickShown);
      const printed = await page.evaluate(() => [...document.querySelectorAll('#log .ln')].map((r) => r.textContent ?? ''));
      for (const text of printed) {
        const m = TICK.exec(text);
        if (!m) continue;
        const i = Number(m[1]);
        const times = { printed: Number(BigInt(m[2]) / 1000n) / 1000, ...onQueen.get(i)!, shown: shown[i] };
        if (times.printed > subscribedBy && times.emitted && times.shown) results.push(times);
      }
    }
  } finally {
    queen.bus.off('job-events', onEvents);
    await drone.stop();
    await repo.cleanup();
    await close();
  }
  return results;
}

export function describeLiveLineLatency(ticks: TickTimes[]): string {
  const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];
  const show = (label: string, xs: number[]) =>
    `  ${label.padEnd(36)} p50 ${pct(xs, 50).toFixed(1)} ms, p95 ${pct(xs, 95).toFixed(1)} ms, max ${Math.max(...xs).toFixed(1)} ms`;
  if (ticks.length === 0) return 'live line latency: no line measured';
  return [
    `live line latency (a line printed every 100 ms → shown in chromium's build page), n=${ticks.length} lines:`,
    show('printed → shown (target p50 ≤ 20 ms)', ticks.map((t) => t.shown - t.printed)),
    show('printed → emitted by the drone', ticks.map((t) => t.emitted - t.printed)),
    show('emitted → stored, announced by queen', ticks.map((t) => t.stored - t.emitted)),
    show('stored → in the page DOM', ticks.map((t) => t.shown - t.stored)),
  ].join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(describeLiveLineLatency(await benchLiveLineLatency(Number(process.argv[2] ?? 2))));
}
