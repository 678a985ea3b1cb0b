/**
 * Build parameters end to end: a project declares them, triggers give values, and the
 * commands on a real drone see them as environment variables — over the project's and
 * `.hive.yml`'s env, never over Hive's own variables or a secret. Bad values change nothing.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { connectDrone, type TestDrone } from '../helpers/drone-process.ts';
import { createGitRepo, type GitRepo } from '../helpers/git-repo.ts';
import { startTestQueen, type TestQueen } from '../helpers/queen.ts';

let queen: TestQueen;
let drone: TestDrone;
let repo: GitRepo;

const SHOW = 'echo "target=$TARGET version=${VERSION-unset} notes=$NOTES from_yml=$FROM_YML branch=$HIVE_BRANCH"';
const PARAMETERS = [
  { name: 'TARGET', description: 'Where to deploy', default: 'staging', choices: ['staging', 'production'] },
  { name: 'VERSION', description: 'Version to build' },
  { name: 'NOTES', default: 'none' },
  { name: 'FROM_YML' },
];

before(async () => {
  queen = await startTestQueen();
  // .hive.yml sets two of the parameters' variables itself: a given value must win over it.
  repo = await createGitRepo({ files: { '.hive.yml': `env:\n  FROM_YML: repository\n  NOTES: from the repository\nphases:\n  test:\n    - ${JSON.stringify(SHOW)}\n` } });
  drone = await connectDrone(queen, { name: 'params-drone', capacity: 2 });
});
after(async () => {
  await drone?.stop();
  await queen?.stop();
  await repo?.cleanup();
});

async function project(name: string, extra: object = {}) {
  const res = await queen.api('POST', '/api/projects', { name, repoUrl: repo.url, parameters: PARAMETERS, config: { env: { TARGET: 'from-project' } }, ...extra });
  assert.equal(res.status, 201, res.text);
  return res.body;
}
async function trigger(projectId: string, body: object) {
  const res = await queen.api('POST', `/api/projects/${projectId}/jobs`, body);
  assert.equal(res.status, 201, res.text);
  return res.body.id as string;
}
async function built(jobId: string) {
  const job = await queen.waitForJob(jobId);
  assert.equal(job.status, 'passed', job.message ?? '');
  return (await queen.api('GET', `/api/jobs/${jobId}/log`)).text;
}
const jobCount = async (projectId: string) => (await queen.api('GET', `/api/projects/${projectId}/jobs`)).body.jobs.length;

describe('build parameters', () => {
  it('are declared on the project and shown by the API', async () => {
    const p = await project('declares');
    assert.deepEqual(p.parameters, PARAMETERS);
    const patched = await queen.api('PATCH', `/api/projects/${p.id}`, { parameters: [{ name: 'ONLY', choices: ['a', 'b'], default: 'b' }] });
    assert.equal(patched.status, 200, patched.text);
    assert.deepEqual(patched.body.parameters, [{ name: 'ONLY', choices: ['a', 'b'], default: 'b' }]);
  });

  it('reach the commands as environment variables, over the project and .hive.yml env', async () => {
    const p = await project('values');
    const jobId = await trigger(p.id, { params: { TARGET: 'production', VERSION: '1.2.3', FROM_YML: 'the trigger' } });
    const log = await built(jobId);
    assert.match(log, /target=production version=1\.2\.3 notes=none from_yml=the trigger branch=main/);
    const detail = (await queen.api('GET', `/api/jobs/${jobId}`)).body;
    // Declared order; the default of NOTES too (it is what the job got).
    assert.deepEqual(detail.params, { TARGET: 'production', VERSION: '1.2.3', NOTES: 'none', FROM_YML: 'the trigger' });
    assert.equal(detail.spec.env.TARGET, 'production');
  });

  it('take their defaults when left out, and a parameter without a default stays unset', async () => {
    const p = await project('defaults');
    const jobId = await trigger(p.id, {});
    const log = await built(jobId);
    // NOTES' default goes over the repository's value too: the trigger "chose" it by leaving it out.
    assert.match(log, /target=staging version=unset notes=none from_yml=repository/);
    assert.deepEqual((await queen.api('GET', `/api/jobs/${jobId}`)).body.params, { TARGET: 'staging', NOTES: 'none' });
  });

  it('take their defaults in builds started without values, as webhooks start them', async () => {
    const p = await project('webhook-defaults');
    const job = await queen.control.trigger(p, { type: 'TEST', ref: { branch: 'main' }, trigger: { source: { type: 'webhook', provider: 'github' } } });
    assert.deepEqual(job.params, { TARGET: 'staging', NOTES: 'none' });
    assert.match(await built(job.id), /target=staging version=unset notes=none/);
  });

  it('refuse undeclared names and values outside the choices with a 400 naming them; nothing is created', async () => {
    const p = await project('refused');
    const undeclared = await queen.api('POST', `/api/projects/${p.id}/jobs`, { params: { TARGTE: 'production', VERSION: '1' } });
    assert.equal(undeclared.status, 400);
    assert.equal(undeclared.body.error.code, 'validation_error');
    assert.match(undeclared.body.error.message, /undeclared parameter "TARGTE" \(declared: TARGET, VERSION, NOTES, FROM_YML\)/);
    const outside = await queen.api('POST', `/api/projects/${p.id}/jobs`, { params: { TARGET: 'moon' } });
    assert.equal(outside.status, 400);
    assert.match(outside.body.error.message, /^params\.TARGET: "moon" is not one of the choices \("staging", "production"\)$/);
    const notText = await queen.api('POST', `/api/projects/${p.id}/jobs`, { params: { VERSION: { major: 1 } } });
    assert.equal(notText.status, 400);
    assert.match(notText.body.error.message, /^params\.VERSION: /);
    const nul = await queen.api('POST', `/api/projects/${p.id}/jobs`, { params: { VERSION: 'a\u0000b' } });
    assert.equal(nul.status, 400);
    assert.equal(await jobCount(p.id), 0);
  });

  it('cannot be declared with names Hive or the build environment depend on', async () => {
    for (const name of ['HIVE_BRANCH', 'PATH', 'LD_PRELOAD', 'lower']) {
      const res = await queen.api('POST', '/api/projects', { name: `reserved-${name}`, repoUrl: repo.url, parameters: [{ name }] });
      assert.equal(res.status, 400, name);
      assert.match(res.body.error.message, /^parameters\[0\]\.name: /, name);
    }
    const p = await project('bad-default');
    const res = await queen.api('PATCH', `/api/projects/${p.id}`, { parameters: [{ name: 'A', default: 'c', choices: ['a', 'b'] }] });
    assert.equal(res.status, 400);
    assert.match(res.body.error.message, /parameters\[0\]\.default: must be one of the choices/);
    assert.deepEqual((await queen.api('GET', `/api/projects/${p.id}`)).body.parameters, PARAMETERS, 'unchanged');
  });

  it('are kept by a re-run, as they were, even after the declarations changed', async () => {
    const p = await project('rerun');
    const first = await trigger(p.id, { params: { TARGET: 'production', VERSION: '7' } });
    await built(first);
    const changed = await queen.api('PATCH', `/api/projects/${p.id}`, { parameters: [{ name: 'TARGET', choices: ['staging'] }] });
    assert.equal(changed.status, 200, changed.text);
    const rerun = await queen.api('POST', `/api/jobs/${first}/rerun`);
    assert.equal(rerun.status, 201, rerun.text);
    assert.deepEqual(rerun.body.params, { TARGET: 'production', VERSION: '7', NOTES: 'none' });
    assert.match(await built(rerun.body.id), /target=production version=7 notes=none/);
  });

  it('reach every job of a run, and are checked for a run as for one job', async () => {
    const p = await project('run-params');
    const res = await queen.api('POST', `/api/projects/${p.id}/runs`, { times: 2, params: { TARGET: 'production', VERSION: '9' } });
    assert.equal(res.status, 201, res.text);
    assert.equal(res.body.jobs.length, 2);
    for (const job of res.body.jobs) assert.match(await built(job.id), /target=production version=9 notes=none/);
    const refused = await queen.api('POST', `/api/projects/${p.id}/runs`, { times: 2, params: { TARGET: 'moon' } });
    assert.equal(refused.status, 400);
    assert.match(refused.body.error.message, /^params\.TARGET: "moon" is not one of the choices/);
    assert.equal(await jobCount(p.id), 2);
  });

  it('never replace a secret of the same name', async () => {
    const p = await project('secret-wins', {
      parameters: [{ name: 'DEPLOY_KEY' }],
      secrets: { DEPLOY_KEY: 'the-real-secret-value' },
      config: { phases: { prepare: ['test "$DEPLOY_KEY" = the-real-secret-value && echo "the secret stayed"'] } },
    });
    const jobId = await trigger(p.id, { params: { DEPLOY_KEY: 'chosen-by-the-trigger' } });
    const log = await built(jobId);
    assert.match(log, /the secret stayed/);
  });
});
