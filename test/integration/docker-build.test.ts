/**
 * A Node package built end to end in Docker: a real queen, a real drone process that
 * finds the engine at start, a local git repository, and the package's own tests run by
 * `npm test` inside a container of `node:20` (the local test build), prepared by the `node`
 * plugin. Skipped, with the reason, when no
 * engine answers.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { NODE_IMAGE, containersGone, dockerSkipReason, engineEvents, listLabelled, removeLabelled } from '../helpers/docker-engine.ts';
import { connectDrone, type TestDrone } from '../helpers/drone-process.ts';
import { createGitRepo, type GitRepo } from '../helpers/git-repo.ts';
import { startTestQueen, type TestQueen } from '../helpers/queen.ts';

const skip = await dockerSkipReason([NODE_IMAGE]);
const DRONE = `docker-e2e-${process.pid}`;

const PACKAGE_JSON = JSON.stringify({ name: 'tiny-sum', version: '1.0.0', private: true, scripts: { test: 'node --test' } }, null, 2);
const SUM_TEST = `const assert = require('node:assert');
const fs = require('node:fs');
const { test } = require('node:test');
const { sum } = require('./sum.js');

test('adds', () => assert.strictEqual(sum(2, 3), 5));
test('runs in the job container', () => {
  assert.ok(fs.existsSync('/.dockerenv'), 'inside Docker');
  assert.strictEqual(process.cwd(), '/workspace');
  console.log('tested in', process.cwd(), 'with node', process.version);
});
`;

let queen: TestQueen;
let drone: TestDrone;
let repo: GitRepo;
let brokenSha: string;

before(async () => {
  if (skip) return;
  queen = await startTestQueen();
  repo = await createGitRepo({
    files: {
      'package.json': PACKAGE_JSON,
      'sum.js': 'exports.sum = (a, b) => a + b;\n',
      'sum.test.js': SUM_TEST,
      'package-lock.json': JSON.stringify({ name: 'tiny-sum', version: '1.0.0', lockfileVersion: 3, requires: true, packages: { '': { name: 'tiny-sum', version: '1.0.0' } } }),
    },
  });
  brokenSha = await repo.commit({ branch: 'broken', files: { 'sum.js': 'exports.sum = (a, b) => a - b;\n' }, message: 'break sum' });
  drone = await connectDrone(queen, { name: DRONE, capacity: 2 });
});
after(async () => {
  if (skip) return;
  await drone?.stop();
  await queen?.stop();
  await repo?.cleanup();
  await removeLabelled(DRONE);
});

describe('a Node package built in Docker through the queen', { skip }, () => {
  let projectId: string;
  const trigger = async (body: object = {}) => {
    const res = await queen.api('POST', `/api/projects/${projectId}/jobs`, body);
    assert.equal(res.status, 201, res.text);
    return res.body.id as string;
  };

  before(async () => {
    if (skip) return;
    const res = await queen.api('POST', '/api/projects', {
      name: 'tiny-sum',
      repoUrl: repo.url,
      // The node plugin picks the `node:20` image (the engine script tags the local build so),
      // runs `npm ci` with its lockfile-keyed cache, then `npm test`; docker never pulls.
      plugins: [
        { name: 'node', config: { version: '20' } },
        { name: 'docker', config: { pull: 'never' } },
      ],
    });
    assert.equal(res.status, 201, res.text);
    projectId = res.body.id;
  });

  it('reports the docker label for a drone whose engine answers', async () => {
    const drones = (await queen.api('GET', '/api/drones')).body.drones as { name: string; labels: string[] }[];
    assert.ok(drones.find((d) => d.name === DRONE)?.labels.includes('docker'));
  });

  it('runs the package tests inside the container and passes, then a failing test fails the job', async (t) => {
    const events = await engineEvents();
    t.after(() => events.close());
    const passing = await trigger();
    const failing = await trigger({ branch: 'broken', sha: brokenSha });
    const [ok, broken] = await Promise.all([queen.waitForJob(passing, undefined, 90_000), queen.waitForJob(failing, undefined, 90_000)]);

    const okLog = (await queen.api('GET', `/api/jobs/${passing}/log`)).text;
    assert.equal(ok.status, 'passed', `${ok.message}\n${okLog}`);
    assert.match(okLog, /\$ npm test/);
    assert.match(okLog, /tested in \/workspace with node v20\./);
    assert.match(okLog, /# pass 2/);

    const brokenLog = (await queen.api('GET', `/api/jobs/${failing}/log`)).text;
    assert.equal(broken.status, 'failed', `${broken.message}\n${brokenLog}`);
    assert.match(broken.message ?? '', /"npm test" \(test\) exited with code 1/);
    assert.match(brokenLog, /# fail 1/);

    const detail = (await queen.api('GET', `/api/jobs/${failing}`)).body;
    assert.deepEqual(detail.commands.map((c: { command: string; exitCode: number }) => [c.command, c.exitCode]), [
      ['node --version && npm --version', 0], ['npm ci (cache keyed by package-lock.json)', 0], ['npm test', 1],
    ]);
    assert.equal(detail.spec.image, 'node:20', 'the node plugin chose the image');
    assert.deepEqual(detail.spec.container, { pull: 'never', privileged: false });
    // Containers are removed after the result is reported: wait for the engine to say so.
    await events.until((seen) => containersGone(passing)(seen) && containersGone(failing)(seen));
    assert.deepEqual(await listLabelled({ drone: DRONE }), { containers: [], networks: [] }, 'the jobs left no container or network');
  });
});
