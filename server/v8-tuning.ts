/**
 * V8 settings for the queen's own process, set when this module is imported — server/main.ts
 * imports it before anything else, so they hold before the modules load — rather than
 * asked of every way the queen is started (`npm start`, the installed `hive`, a service
 * unit). V8 reads it when it acts on it, so setting it from inside works (checked
 * here by measuring: Node.js makes no promise about flags set after start in general).
 *
 * - The young generation keeps its first size, except while a log floods in
 *   (young-generation.ts).
 *
 * PGlite's WebAssembly compiler setting is set where PGlite is opened, for every process
 * that opens it (db/pglite-compiler.ts).
 */
import { keepYoungGenerationSmall } from './young-generation.ts';

keepYoungGenerationSmall();
