/**
 * Only the memory part of `npm run bench`: `node --import tsx bench/memory.ts [postgres://admin-url]`
 * (or TEST_DATABASE_URL) prints what `hive start` holds on PGlite, and on PostgreSQL when a URL is given.
 */
import { measureStartMemory, memoryTable } from './start-memory.ts';

const pgUrl = process.argv[2] ?? process.env.TEST_DATABASE_URL;
const samples = [...(await measureStartMemory()), ...(pgUrl ? await measureStartMemory(pgUrl) : [])];
console.log('resident memory (RSS) of `hive start`, MiB, per process and summed; and the sum of their PSS (a page shared by several counted once)');
console.log(memoryTable(samples));
