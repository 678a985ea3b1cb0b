/**
 * PGlite's WebAssembly runs on V8's baseline compiler only (Liftoff), in every process that
 * opens it: the queen, the `hive users|db|tokens` commands on the embedded database, the
 * child that runs initdb, tests and benches. Set when this module is imported; V8 reads the
 * flag when it compiles a module, which PGlite does on its first `create` (checked by
 * measuring: Node.js makes no promise about flags set after start in general).
 *
 * - The optimizing compiler's work for PGlite's hot functions kept ~40–60 MiB of compiler
 *   memory in the queen for good. `npm run bench` measured the hot paths the same with and
 *   without it (a quiet moment: trigger → assign p50 57 vs 59–63 ms, 95 MiB of log
 *   ingested in 5.3 vs 5.4–5.5 s, a whole build 149 vs 140–150 ms).
 * - It costs a short-lived process seconds of CPU on background threads, for code it
 *   barely runs: `hive users list` took 2.4 s of CPU (1.6 s wall) with it and 1.2 s
 *   (1.0 s) without, on a two-core VM; a test file that opens one database ~3.5 s of CPU.
 */
import { setFlagsFromString } from 'node:v8';

setFlagsFromString('--liftoff-only');
