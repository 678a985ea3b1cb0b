/**
 * V8 settings for the queen's own process, set when this module is imported — server/main.ts
 * imports it before anything else, so they hold before the modules load — rather than
 * asked of every way the queen is started (`npm start`, the installed `hive`, a service
 * unit). V8 reads it when it acts on it, so setting it from inside works (checked
 * here by measuring: Node.js makes no promise about flags set after start in general).
 *
 * - The young generation keeps its first size (1 MiB per semi-space) instead of growing
 *   to 16 MiB: V8 grows it while the queen starts (migrations, loading modules) and never
 *   gives it back; fixed, the idle queen holds ~15–20 MiB less. (`--max-semi-space-size`
 *   is only read at start-up, so the growth factor is what can be set here.)
 *
 * PGlite's WebAssembly compiler setting is set where PGlite is opened, for every process
 * that opens it (db/pglite-compiler.ts).
 */
import { setFlagsFromString } from 'node:v8';

setFlagsFromString('--semi-space-growth-factor=1');
