import assert from 'node:assert/strict';
import { it } from 'node:test';
import { gitVersionProblem, parseGitVersion } from '../../common/git/git-version.ts';

it('reads git\'s version as every build prints it, and says when it is too old', () => {
  assert.deepEqual(parseGitVersion('git version 2.39.5\n'), [2, 39]);
  assert.deepEqual(parseGitVersion('git version 2.39.3 (Apple Git-146)\n'), [2, 39]);
  assert.deepEqual(parseGitVersion('git version 2.45.1.windows.1\n'), [2, 45]);
  assert.equal(parseGitVersion('hub version 2.14.2\n'), undefined);
  for (const ok of [[2, 29], [2, 30], [3, 0]] as [number, number][]) assert.equal(gitVersionProblem(ok), undefined);
  assert.equal(gitVersionProblem([2, 28]), 'git 2.28 is installed; Hive needs git 2.29 or later');
  assert.equal(gitVersionProblem([1, 99]), 'git 1.99 is installed; Hive needs git 2.29 or later');
  assert.equal(gitVersionProblem(undefined), 'git did not say its version');
});
