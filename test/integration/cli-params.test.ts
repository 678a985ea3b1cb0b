/** `hive run --param NAME=value … --file PATH …` against a real queen and drone. */
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, it } from 'node:test';
import { connectDrone, type TestDrone } from '../helpers/drone-process.ts';
import { createGitRepo, type GitRepo } from '../helpers/git-repo.ts';
import { startTestQueen, type TestQueen } from '../helpers/queen.ts';
import { runHiveCli } from '../helpers/cli-process.ts';

let queen: TestQueen;
let drone: TestDrone;
let repo: GitRepo;
let dir: string;
let projectId: string;

before(async () => {
  queen = await startTestQueen();
  dir = await mkdtemp(join(tmpdir(), 'hive-cli-files-'));
  repo = await createGitRepo({ files: { '.hive.yml': 'phases:\n  test:\n    - echo "target=$TARGET notes=$NOTES"\n    - cat release.txt\n' } });
  drone = await connectDrone(queen, { name: 'cli-params-drone', capacity: 1 });
  const res = await queen.api('POST', '/api/projects', {
    name: 'cli-params', repoUrl: repo.url, parameters: [{ name: 'TARGET', choices: ['staging', 'production'], default: 'staging' }, { name: 'NOTES' }],
  });
  projectId = res.body.id;
});
after(async () => {
  await drone?.stop();
  await queen?.stop();
  await repo?.cleanup();
  await rm(dir, { recursive: true, force: true });
});

const cli = (args: string[]) => runHiveCli(queen, args);
const jobCount = async () => (await queen.api('GET', `/api/projects/${projectId}/jobs`)).body.jobs.length;

it('sends parameters and files, and the build reads them', async () => {
  const file = join(dir, 'release.txt');
  await writeFile(file, 'notes of the release\n');
  const res = await cli(['run', 'cli-params', '--param', 'TARGET=production', '--param=NOTES=a=b c', '--file', file, '--follow']);
  assert.equal(res.code, 0, res.stderr);
  assert.match(res.stdout, /target=production notes=a=b c\n/);
  assert.match(res.stdout, /\$ cat release\.txt\nnotes of the release\n/);
  const jobId = /queued: (\S+)/.exec(res.stderr)![1];
  const job = (await queen.api('GET', `/api/jobs/${jobId}`)).body;
  assert.deepEqual(job.params, { TARGET: 'production', NOTES: 'a=b c' });
  assert.deepEqual(job.files, [{ name: 'release.txt', size: 21 }]);
  assert.equal(job.trigger.source.type, 'cli');
});

it('says what the queen refuses, and what is wrong with the options, before sending anything', async () => {
  const before = await jobCount();
  const undeclared = await cli(['run', 'cli-params', '--param', 'TARGTE=production']);
  assert.equal(undeclared.code, 2);
  assert.match(undeclared.stderr, /400: params: undeclared parameter "TARGTE" \(declared: TARGET, NOTES\)/);
  const choice = await cli(['run', 'cli-params', '--param', 'TARGET=moon', '--file', join(dir, 'release.txt')]);
  assert.equal(choice.code, 2);
  assert.match(choice.stderr, /400: params\.TARGET: "moon" is not one of the choices/);
  const noValue = await cli(['run', 'cli-params', '--param', 'TARGET']);
  assert.equal(noValue.code, 2);
  assert.match(noValue.stderr, /--param needs NAME=value, got "TARGET"\nusage:/);
  const twice = await cli(['run', 'cli-params', '--param', 'NOTES=a', '--param', 'NOTES=b']);
  assert.match(twice.stderr, /--param NOTES is given twice/);
  const missing = await cli(['run', 'cli-params', '--file', join(dir, 'nope.txt')]);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /--file .*nope\.txt: no such file/);
  await mkdir(join(dir, 'a'));
  await mkdir(join(dir, 'b'));
  await writeFile(join(dir, 'a', 'same.txt'), '1');
  await writeFile(join(dir, 'b', 'same.txt'), '2');
  const clash = await cli(['run', 'cli-params', '--file', join(dir, 'a', 'same.txt'), '--file', join(dir, 'b', 'same.txt')]);
  assert.match(clash.stderr, /would both be "same\.txt" in the workspace/);
  const folder = await cli(['run', 'cli-params', '--file', dir]);
  assert.match(folder.stderr, /not a regular file/);
  assert.equal(await jobCount(), before);
});
