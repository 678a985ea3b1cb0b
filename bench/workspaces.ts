/**
 * Only the workspace part of `npm run bench`: `node --import tsx bench/workspaces.ts [runs]`
 * (PGlite; TEST_DATABASE_URL for PostgreSQL) — fresh against incremental workspaces.
 */
// First: the process runs with npm's `hive`'s malloc settings (product-malloc.ts).
import './product-malloc.ts';
import '../server/v8-tuning.ts';
import { benchWorkspaceModes, describeWorkspaceModes } from './workspace-modes.ts';
import { startTestQueen } from '../test/helpers/queen.ts';

const queen = await startTestQueen({ HIVE_LOG_LEVEL: 'silent' });
try {
  console.log(describeWorkspaceModes(await benchWorkspaceModes(queen, Number(process.argv[2] ?? 10))));
} finally {
  await queen.stop();
}
