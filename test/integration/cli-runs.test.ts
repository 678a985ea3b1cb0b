/**
 * `hive run … --times N --priority N --wait` and `hive runs <id>` as a user types them,
 * against a real queen and drone: the result printed, the exit code of the outcome.
 */
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { connectDrone, type TestDrone } from '../helpers/drone-process.ts';
import { createGitRepo, type GitRepo } from '../helpers/git-repo.ts';
import { startTestQueen, type TestQueen } from '../helpers/queen.ts';
import { runHiveCli } from '../helpers/cli-process.ts';

let queen: TestQueen;
let drone: TestDrone;
let repo: GitRepo;

before(async () => {
  queen = await startTestQueen();
  repo = await createGitRepo({ files: { '.hive.yml': 'phases:\n  test:\n    - echo "built $HIVE_JOB_NUMBER"\n    - test "$HIVE_BRANCH" != broken\n' } });
  await repo.commit({ branch: 'broken', from: 'main', files: { x: '1' }, message: 'x' });
  await repo.commit({
    branch: 'matrix', from: 'main',
    files: { '.hive.yml': 'matrix:\n  SHARD: [1, 2]\nphases:\n  test:\n    - echo "shard $SHARD"\n    - test "$SHARD" != 2\n' },
  });
  drone = await connectDrone(queen, { name: 'cli-runs-drone', capacity: 2 });
  await queen.api('POST', '/api/projects', { name: 'cli-runs', repoUrl: repo.url });
});
after(async () => {
  await drone?.stop();
  await queen?.stop();
  await repo?.cleanup();
});

const cli = (args: string[]) => runHiveCli(queen, args);

it('runs a job and waits for its result: exit 0 when it passed, 1 when it failed', async () => {
  const ok = await cli(['run', 'cli-runs', '--wait', '--priority', '5']);
  assert.equal(ok.code, 0, ok.stderr);
  assert.match(ok.stderr, /cli-runs #\d+ queued: [0-9a-f-]{36}\n/);
  assert.match(ok.stdout, /cli-runs #\d+ passed\n/);
  const jobId = /queued: (\S+)/.exec(ok.stderr)![1];
  assert.equal((await queen.api('GET', `/api/jobs/${jobId}`)).body.priority, 5);

  const failed = await cli(['run', 'cli-runs', '--branch', 'broken', '--wait']);
  assert.equal(failed.code, 1, failed.stderr);
  assert.match(failed.stdout, /#\d+ failed/);
});

it('runs N times, waits for the run, and prints its jobs', async () => {
  const res = await cli(['run', 'cli-runs', '--times', '3', '--wait']);
  assert.equal(res.code, 0, res.stderr);
  const runId = /run of 3 queued: (\S+)/.exec(res.stderr)?.[1];
  assert.ok(runId, res.stderr);
  assert.match(res.stdout, new RegExp(`^run ${runId}: passed \\(3 passed\\)`));
  assert.equal(res.stdout.match(/ {2}#\d+ {2}passed/g)?.length, 3, res.stdout);

  const shown = await cli(['runs', runId]);
  assert.equal(shown.code, 0, shown.stderr);
  assert.equal(shown.stdout, res.stdout, 'hive runs shows the same');

  const queuedOnly = await cli(['run', 'cli-runs', '--times', '2']);
  assert.equal(queuedOnly.code, 0, queuedOnly.stderr);
  assert.match(queuedOnly.stderr, /run of 2 queued/);
  assert.equal(queuedOnly.stdout, '');
});

it('waits for the whole matrix a job turned into, and exits 1 when a combination failed', async () => {
  const res = await cli(['run', 'cli-runs', '--branch', 'matrix', '--wait']);
  assert.equal(res.code, 1, res.stderr);
  assert.match(res.stdout, /^run \S+: failed \(1 passed, 1 failed\)/);
  assert.match(res.stdout, /passed .* SHARD=1 /);
  assert.match(res.stdout, /failed .* SHARD=2 /);
});

it('refuses bad options before sending anything (exit 2, with the usage)', async () => {
  const before = (await queen.api('GET', '/api/queue')).body;
  for (const [args, message] of [
    [['--times', '0'], /--times must be a whole number from 1 to 100, got "0"/],
    [['--times', '101'], /--times must be a whole number from 1 to 100/],
    [['--times', 'x'], /--times must be a whole number/],
    [['--priority', '101'], /--priority must be a whole number from -100 to 100/],
    [['--follow', '--wait'], /--follow and --wait do not go together/],
    [['--times', '2', '--follow'], /--follow follows one job/],
  ] as const) {
    const res = await cli(['run', 'cli-runs', ...args]);
    assert.equal(res.code, 2, `${args.join(' ')}: ${res.stderr}`);
    assert.match(res.stderr, message);
    assert.match(res.stderr, /usage:/);
  }
  assert.deepEqual((await queen.api('GET', '/api/queue')).body, before, 'nothing was queued');
  const unknown = await cli(['runs', '00000000-0000-4000-8000-000000000000']);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /404: Run 00000000-0000-4000-8000-000000000000 does not exist/);
});
