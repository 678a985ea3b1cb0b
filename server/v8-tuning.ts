/**
 * V8 settings for the queen's own process, set when this module is imported — server/main.ts
 * imports it before anything else, so they hold before the modules load — rather than
 * asked of every way the queen is started (`npm start`, the installed `hive`, a service
 * unit). V8 reads both when it acts on them, so setting them from inside works (checked
 * here by measuring: Node.js makes no promise about flags set after start in general).
 *
 * - The young generation keeps its first size (1 MiB per semi-space) instead of growing
 *   to 16 MiB: V8 grows it while the queen starts (migrations, loading modules) and never
 *   gives it back; fixed, the idle queen holds ~15–20 MiB less. (`--max-semi-space-size`
 *   is only read at start-up, so the growth factor is what can be set here.)
 * - WebAssembly (PGlite) runs on V8's baseline compiler only (Liftoff): the optimizing
 *   compiler's work for PGlite's hot functions kept ~40–60 MiB of compiler memory in the
 *   process for good. `npm run bench` measured the hot paths the same with both settings
 *   as without (a quiet moment: trigger → assign p50 57 vs 59–63 ms, 95 MiB of log
 *   ingested in 5.3 vs 5.4–5.5 s, a whole build 149 vs 140–150 ms).
 */
import { setFlagsFromString } from 'node:v8';

setFlagsFromString('--semi-space-growth-factor=1');
setFlagsFromString('--liftoff-only');
