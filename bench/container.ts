/**
 * Only the container part of `npm run bench`: `node --import tsx bench/container.ts [runs]`
 * (PGlite; TEST_DATABASE_URL for PostgreSQL) — a container job against a bare `docker run`.
 */
// First: the process runs with npm's `hive`'s malloc settings (product-malloc.ts).
import './product-malloc.ts';
import '../server/v8-tuning.ts';
import { benchContainerJob, describeContainerBench, skipContainerBench } from './container-job.ts';
import { createGitRepo } from '../test/helpers/git-repo.ts';
import { startTestQueen } from '../test/helpers/queen.ts';

const skip = await skipContainerBench();
if (skip) {
  console.log(`container bench skipped: ${skip}`);
} else {
  const queen = await startTestQueen({ HIVE_LOG_LEVEL: 'silent' });
  const repo = await createGitRepo({ files: { 'README': 'bench\n' } });
  try {
    console.log(describeContainerBench(await benchContainerJob(queen, repo, Number(process.argv[2] ?? 10))));
  } finally {
    await queen.stop();
    await repo.cleanup();
  }
}
