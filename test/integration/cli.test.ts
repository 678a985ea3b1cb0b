/** The `hive` command-line client against a real queen and drone. */
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
  repo = await createGitRepo({ files: { '.hive.yml': 'phases:\n  test:\n    - echo "hello from the build"\n    - test "$HIVE_BRANCH" != broken\n' } });
  await repo.commit({ branch: 'broken', from: 'main', files: { 'x': '1' }, message: 'x' });
  drone = await connectDrone(queen, { name: 'cli-drone', capacity: 1 });
  await queen.api('POST', '/api/projects', { name: 'cli-demo', repoUrl: repo.url });
});
after(async () => {
  await drone?.stop();
  await queen?.stop();
  await repo?.cleanup();
});

const cli = (args: string[], token?: string) => runHiveCli(queen, args, token);

it('runs a build, follows its log live, and exits with the build\'s outcome', async () => {
  const ok = await cli(['run', 'cli-demo', '--follow', '--message', 'from the terminal']);
  assert.equal(ok.code, 0, ok.stderr);
  assert.match(ok.stdout, /\$ echo "hello from the build"\nhello from the build\n/);
  assert.match(ok.stderr, /cli-demo #1 queued: [0-9a-f-]{36}\ncli-demo #1 passed/);
  const jobId = /queued: (\S+)/.exec(ok.stderr)![1];
  const job = (await queen.api('GET', `/api/jobs/${jobId}`)).body;
  assert.equal(job.trigger.source.type, 'cli');
  assert.equal(job.trigger.message, 'from the terminal');

  const failed = await cli(['run', 'cli-demo', '--branch', 'broken', '--follow']);
  assert.equal(failed.code, 1);
  assert.match(failed.stderr, /#2 failed/);

  const logs = await cli(['logs', jobId]);
  assert.equal(logs.code, 0);
  assert.match(logs.stdout, /hello from the build/);
  const jobs = await cli(['jobs', 'cli-demo']);
  assert.match(jobs.stdout, /#2 {2}failed[\s\S]*#1 {2}passed/);
});

it('says what is wrong with a bad token or an unknown project', async () => {
  const badToken = await cli(['projects'], 'not-a-valid-token');
  assert.equal(badToken.code, 2);
  assert.match(badToken.stderr, /401: Invalid or revoked token/);
  assert.doesNotMatch(badToken.stderr, /not-a-valid-token/);
  const unknown = await cli(['run', 'nope']);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /No project named "nope"/);
  const noLog = await cli(['logs', '00000000-0000-4000-8000-000000000000']);
  assert.equal(noLog.code, 2);
  assert.match(noLog.stderr, /No log for job 00000000-0000-4000-8000-000000000000: Job 00000000-0000-4000-8000-000000000000 does not exist/);
});
