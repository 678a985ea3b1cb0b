import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { jobEnv, refEnv } from '../../common/job-env.ts';

describe('refEnv', () => {
  it('names the tag, or the pull request with its branches', () => {
    assert.deepEqual(refEnv(undefined), {});
    assert.deepEqual(refEnv({ tag: 'v1.2.0' }), { HIVE_TAG: 'v1.2.0' });
    assert.deepEqual(refEnv({ pullRequest: { number: 7, baseBranch: 'main', headBranch: 'fix' } }),
      { HIVE_PULL_REQUEST: '7', HIVE_TARGET_BRANCH: 'main', HIVE_SOURCE_BRANCH: 'fix' });
    assert.deepEqual(refEnv({ pullRequest: { number: 8, baseBranch: 'main' } }), { HIVE_PULL_REQUEST: '8', HIVE_TARGET_BRANCH: 'main' });
  });
});

describe('jobEnv', () => {
  const spec = {
    jobId: 'j1', number: 12, projectName: 'web', type: 'TEST' as const, checkout: { branch: 'main' },
    env: { HIVE_TAG: 'v1', GREETING: 'hi', HIVE_PROJECT: 'renamed' }, secrets: { GREETING: 'secret' },
  };

  it('gives the job facts, then the spec env over them, then the secrets over all', () => {
    assert.deepEqual(jobEnv(spec, { commit: 'abc123', workspace: '/w/j1' }), {
      CI: 'true', HIVE: 'true', HIVE_JOB_ID: 'j1', HIVE_JOB_NUMBER: '12', HIVE_PROJECT: 'renamed', HIVE_COMMIT: 'abc123',
      HIVE_BRANCH: 'main', HIVE_JOB_TYPE: 'TEST', HIVE_WORKSPACE: '/w/j1', HIVE_TAG: 'v1', GREETING: 'secret',
    });
  });

  it('has no HIVE_BRANCH for a build without a branch', () => {
    assert.equal('HIVE_BRANCH' in jobEnv({ ...spec, checkout: {} }, { commit: 'abc', workspace: '/w' }), false);
  });
});
