/**
 * The queen's young generation (V8's semi-spaces): kept at its first size (1 MiB per
 * semi-space) instead of growing to 16 MiB — V8 grows it while the queen starts
 * (migrations, loading modules) and never gives it back by itself; fixed, the idle queen
 * holds ~15–20 MiB less — except while a log floods in.
 *
 * With 1 MiB semi-spaces a 20 MB log cost the queen ~110 scavenges, 130–290 ms of its
 * thread, and promoted the events waiting for their write (each lives a few milliseconds,
 * longer than a 1 MiB young generation lasts), which then took full collections. So the
 * event ingest's BurstCollector lets it grow from 2 MiB of output on (`youngGenerationGrowth`)
 * and restricts it again once the log is quiet; full collections then bring it back to
 * its size — V8 shrinks it at a full collection that finds the allocation rate low, a few
 * seconds after the burst (burst-collector.ts retries until it has).
 *
 * `--max-semi-space-size` is only read at start-up, so the growth factor is what is set,
 * from inside (server/v8-tuning.ts says why that works). A process that never called
 * `keepYoungGenerationSmall` (tests, tools) keeps V8's own behaviour. The setting is the
 * process's: queens sharing one (tests) share it too, which changes their speed, not what
 * they do.
 */
import { getHeapSpaceStatistics, setFlagsFromString } from 'node:v8';
import type { YoungGenerationGrowth } from '../common/burst-collector.ts';

/** V8's own growth factor (its `--semi-space-growth-factor` default). */
const V8_GROWTH_FACTOR = 2;

let kept = false;
/** The size it is kept at, which collections after a burst bring it back to. */
let keptSize = 0;

/** From now on the young generation does not grow, except during bursts. */
export function keepYoungGenerationSmall(): void {
  kept = true;
  keptSize = youngGenerationSize();
  setFlagsFromString('--semi-space-growth-factor=1');
}

function youngGenerationSize(): number {
  return getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')?.space_size ?? 0;
}

export const youngGenerationGrowth: YoungGenerationGrowth = {
  fromBytes: 2 * 1024 * 1024,
  allow() {
    if (kept) setFlagsFromString(`--semi-space-growth-factor=${V8_GROWTH_FACTOR}`);
  },
  restrict() {
    if (kept) setFlagsFromString('--semi-space-growth-factor=1');
  },
  grown: () => kept && youngGenerationSize() > keptSize,
  retryMs: 4_000,
  retries: 3,
};
