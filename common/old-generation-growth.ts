/**
 * How much V8 lets the old generation grow between full collections while a burst of
 * work lasts (burst-collector.ts: from `fromBytes` of it until its collection).
 *
 * After each full collection V8 sets the size at which the next one starts: the live size
 * times a factor it picks from how busy the program was, as low as ~1.1 for one that was
 * idle. The collection a process makes once a burst is quiet (burst-collector.ts) is such
 * a one, so a large log after a pause began with a limit just above the live size: the
 * queen made ~7 full collections in one 50 MB log (`--trace-gc`, 4 s between logs, as
 * there are between builds; 1–2 with logs back to back), and the log was stored at 75–105
 * MB/s instead of 120–142 (bench/log-bench.ts with a pause between runs), queen and drone
 * spending 0.4–0.7 and 0.25–0.4 s of CPU on it instead of 0.2–0.35 and 0.13–0.2.
 *
 * With a factor of 3 (1 + 200 %) from 2 MiB of a burst on, full collections come when the
 * heap has tripled, and it stays in place through the collection that ends the burst, so
 * that the next burst starts with that room too: 151–164 MB/s against 130–140 with the
 * factor undone before that collection, and 98–101 without (same bench and pause, three
 * rounds alternately). Then it goes back to V8's own choice. What a process holds once
 * the burst is collected does not change (that collection frees all it can); between
 * bursts the heap may grow to three times what is live before V8 collects it, until its
 * next full collection sets the limit its own way again.
 *
 * `--heap-growing-percent` is read at each full collection, so it can be set from inside
 * (server/v8-tuning.ts says why flags set at run time take effect).
 */
import { setFlagsFromString } from 'node:v8';
import type { BurstSetting } from './burst-collector.ts';

/** The factor while a burst lasts: 1 + 200 %. */
const BURST_GROWING_PERCENT = 200;

export const oldGenerationGrowth: BurstSetting = {
  fromBytes: 2 * 1024 * 1024,
  allow: () => setFlagsFromString(`--heap-growing-percent=${BURST_GROWING_PERCENT}`),
  // 0: V8 picks the factor itself again.
  restrict: () => setFlagsFromString('--heap-growing-percent=0'),
};
