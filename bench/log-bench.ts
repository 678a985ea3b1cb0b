/**
 * Only the large-log part of `npm run bench`: `node --import tsx bench/log-bench.ts [runs] [part of a shape's name]`
 * (PGlite; TEST_DATABASE_URL for PostgreSQL). See log-ingest.ts.
 *
 * BENCH_HIVE_DB: `disk` (default) runs PGlite in the queen's data dir, as `hive queen` and
 * `npm start` do; `memory` runs it in memory, as the tests do.
 */
// First: the process runs with npm's `hive`'s malloc settings (product-malloc.ts).
import './product-malloc.ts';
import '../server/v8-tuning.ts';
import { benchLogIngest, describeLogIngest } from './log-ingest.ts';
import { createGitRepo } from '../test/helpers/git-repo.ts';
import { startTestQueen } from '../test/helpers/queen.ts';
import { testDatabaseKind } from '../test/helpers/test-db.ts';
import { pgliteOnDisk } from './pglite-on-disk.ts';

const onDisk = testDatabaseKind() === 'pglite' && (process.env.BENCH_HIVE_DB ?? 'disk') === 'disk';
const queen = await startTestQueen({ HIVE_LOG_LEVEL: 'silent' }, onDisk ? await pgliteOnDisk('hive-bench-queen-') : undefined);
const repo = await createGitRepo({ files: { README: 'bench\n' } });
try {
  console.log(`database: ${testDatabaseKind()}${testDatabaseKind() === 'pglite' ? (onDisk ? ' on disk' : ' in memory') : ''}`);
  console.log(describeLogIngest(await benchLogIngest(queen, repo, Number(process.argv[2] ?? 2), process.env.BENCH_CPU_PROF, process.argv[3])));
} finally {
  await queen.stop();
  await repo.cleanup();
}
