/**
 * Only the large-log part of `npm run bench`: `node --import tsx bench/log-bench.ts [runs] [part of a shape's name]`
 * (PGlite; TEST_DATABASE_URL for PostgreSQL). See log-ingest.ts.
 */
import '../server/v8-tuning.ts';
import { benchLogIngest, describeLogIngest } from './log-ingest.ts';
import { createGitRepo } from '../test/helpers/git-repo.ts';
import { startTestQueen } from '../test/helpers/queen.ts';
import { testDatabaseKind } from '../test/helpers/test-db.ts';

const queen = await startTestQueen({ HIVE_LOG_LEVEL: 'silent' });
const repo = await createGitRepo({ files: { README: 'bench\n' } });
try {
  console.log(`database: ${testDatabaseKind()}`);
  console.log(describeLogIngest(await benchLogIngest(queen, repo, Number(process.argv[2] ?? 2), process.env.BENCH_CPU_PROF, process.argv[3])));
} finally {
  await queen.stop();
  await repo.cleanup();
}
