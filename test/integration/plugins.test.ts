/**
 * Plugins end to end: a third-party plugin installed with npm prepares real builds and
 * reacts to their end; built-ins compose; broken plugins never take the queen down.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { connectDrone, type TestDrone } from '../helpers/drone-process.ts';
import { createGitRepo, type GitRepo } from '../helpers/git-repo.ts';
import { createPluginDir, type PluginDir } from '../helpers/plugin-dir.ts';
import { startTestQueen, type TestQueen } from '../helpers/queen.ts';

const sampleFolder = fileURLToPath(new URL('../fixtures/hive-plugin-sample', import.meta.url));
const passThrough = '{ safeParse: (v) => ({ success: true, data: v ?? {} }) }';

let plugins: PluginDir;
let queen: TestQueen;
let drone: TestDrone;
let repo: GitRepo;

before(async () => {
  plugins = await createPluginDir();
  await plugins.npmInstall(sampleFolder);
  await plugins.writePackage('hive-plugin-throws', 'throw new Error("cannot start: missing native module");\n');
  await plugins.writePackage('hive-plugin-shapeless', 'export default { hello: "world" };\n');
  await plugins.writePackage('hive-plugin-hangs', `export default {
    name: 'hive-plugin-hangs', version: '1.0.0', configSchema: ${passThrough}, hookTimeoutMs: 300,
    hooks: { 'job:done': () => new Promise(() => {}), 'job:started': () => { throw new Error('hook exploded'); } },
  };\n`);
  await plugins.writePackage('hive-plugin-bad-phases', `export default {
    name: 'hive-plugin-bad-phases', version: '1.0.0', configSchema: ${passThrough},
    phases: () => { throw new Error('phases exploded'); },
  };\n`);
  queen = await startTestQueen({
    HIVE_PLUGIN_DIR: plugins.dir,
    HIVE_PLUGINS: 'hive-plugin-sample,hive-plugin-throws,hive-plugin-shapeless,hive-plugin-hangs,hive-plugin-bad-phases,hive-plugin-absent',
  });
  repo = await createGitRepo({
    files: {
      'package.json': JSON.stringify({ name: 'tiny', version: '1.0.0', scripts: { test: 'node test.js' } }),
      'package-lock.json': JSON.stringify({ name: 'tiny', version: '1.0.0', lockfileVersion: 3, requires: true, packages: { '': { name: 'tiny', version: '1.0.0' } } }),
      'test.js': 'if (1 + 1 !== 2) process.exit(1);\nconsole.log("tiny tests ok");\n',
    },
  });
  drone = await connectDrone(queen, { name: 'plugged', capacity: 2 });
});
after(async () => {
  await drone?.stop();
  await queen?.stop();
  await repo?.cleanup();
  await plugins?.cleanup();
});

const createProject = (body: object) => queen.api('POST', '/api/projects', { repoUrl: repo.url, ...body });
async function build(projectId: string) {
  const id = (await queen.api('POST', `/api/projects/${projectId}/jobs`, {})).body.id;
  return { job: await queen.waitForJob(id), log: async () => (await queen.api('GET', `/api/jobs/${id}/log`)).text, id };
}

describe('loading', () => {
  it('lists built-ins and the npm-installed plugin with JSON schemas, and each failure with its cause', async () => {
    const res = await queen.api('GET', '/api/plugins');
    assert.equal(res.status, 200);
    const byName = Object.fromEntries(res.body.plugins.map((p: { name: string }) => [p.name, p]));
    for (const name of ['custom', 'env', 'node', 'docker', 'webhook-notify']) assert.equal(byName[name].builtIn, true, name);
    const sample = byName['hive-plugin-sample'];
    assert.equal(sample.version, '1.2.3');
    assert.equal(sample.builtIn, false);
    assert.deepEqual(sample.hooks, ['job:done']);
    assert.equal(sample.configSchema.properties.greeting.type, 'string');
    assert.equal(byName['hive-plugin-hangs'].configSchema, null, 'a schema zod cannot describe');
    const failed = Object.fromEntries(res.body.failed.map((f: { name: string; error: string }) => [f.name, f.error]));
    assert.match(failed['hive-plugin-throws'], /loading it threw: cannot start: missing native module/);
    assert.match(failed['hive-plugin-shapeless'], /"name" must be a non-empty string/);
    assert.match(failed['hive-plugin-absent'], /package not found/);
  });
});

describe('project plugin config', () => {
  it('is validated on save, naming the bad field', async () => {
    const bad = await createProject({ name: 'bad-config', plugins: [{ name: 'custom', config: {} }, { name: 'hive-plugin-sample', config: { times: 99 } }] });
    assert.equal(bad.status, 400);
    assert.match(bad.body.error.message, /^plugins\[1\]\.config\.times: /);
    const unknown = await createProject({ name: 'unknown-plugin', plugins: [{ name: 'hive-plugin-nope' }] });
    assert.equal(unknown.status, 400);
    assert.match(unknown.body.error.message, /plugins\[0\]\.name: plugin "hive-plugin-nope" is not installed/);
    const broken = await createProject({ name: 'broken-plugin', plugins: [{ name: 'hive-plugin-throws' }] });
    assert.equal(broken.status, 400);
    assert.match(broken.body.error.message, /failed to load/);
    const names = (await queen.api('GET', '/api/projects')).body.projects.map((p: { name: string }) => p.name);
    assert.ok(!names.includes('bad-config') && !names.includes('unknown-plugin'));
  });
});

describe('builds with plugins', () => {
  it('runs the npm plugin\'s commands with its env, and its job:done hook', async () => {
    const record = join(plugins.dir, 'finished.txt');
    const project = (await createProject({
      name: 'sample',
      plugins: [{ name: 'hive-plugin-sample', config: { greeting: 'bonjour', times: 2, recordTo: record } }],
      config: { phases: { test: ['echo "own command after the plugins"'] } },
    })).body;
    const { job, log } = await build(project.id);
    assert.equal(job.status, 'passed', job.message ?? '');
    const text = await log();
    assert.match(text, /bonjour from sample plugin 1 \(job 1\)\n[\s\S]*bonjour from sample plugin 2 \(job 1\)\n[\s\S]*own command after the plugins/);
    await queen.hooks.settled();
    assert.equal(await readFile(record, 'utf8'), '1 passed\n');
    const detail = (await queen.api('GET', `/api/jobs/${job.id}`)).body;
    assert.equal(detail.spec.env.SAMPLE_GREETING, 'bonjour', 'the stored spec shows exactly what ran');
  });

  it('builds a small Node package with the node plugin on the drone\'s own Node.js', async () => {
    const project = (await createProject({ name: 'node-pkg', plugins: [{ name: 'node', config: { image: false } }] })).body;
    const { job, log } = await build(project.id);
    assert.equal(job.status, 'passed', job.message ?? '');
    const text = await log();
    assert.match(text, /\$ npm ci \(cache keyed by package-lock\.json\)/);
    assert.match(text, /tiny tests ok/);
  });

  it('fills env from project secrets through the env plugin, masked in the log', async () => {
    const project = (await createProject({
      name: 'env-secrets',
      secrets: { deploy_key: 'k3y-that-must-not-leak' },
      plugins: [{ name: 'env', config: { vars: { STAGE: 'ci' }, secrets: { DEPLOY_KEY: 'deploy_key' } } }],
      config: { phases: { test: ['echo "stage=$STAGE key=$DEPLOY_KEY"'] } },
    })).body;
    const { job, log } = await build(project.id);
    assert.equal(job.status, 'passed', job.message ?? '');
    assert.match(await log(), /stage=ci key=\*{8}/);
    assert.doesNotMatch(JSON.stringify(job.spec), /k3y-that-must-not-leak/);
    assert.deepEqual(job.spec?.secretRefs, { DEPLOY_KEY: 'deploy_key' });

    const missing = (await createProject({
      name: 'env-missing-secret',
      plugins: [{ name: 'env', config: { secrets: { X: 'no_such_secret' } } }],
    })).body;
    const ended = (await build(missing.id)).job;
    assert.equal(ended.status, 'errored');
    assert.match(ended.message ?? '', /secret "no_such_secret"/);
  });

  it('lets .hive.yml add and configure plugins for one branch', async () => {
    await repo.commit({
      branch: 'yml-plugins', from: 'main', message: 'plugins in yml',
      files: { '.hive.yml': 'plugins:\n  - name: custom\n    config:\n      test: echo "from custom in yml"\nbranches:\n  yml-*:\n    plugins:\n      - name: hive-plugin-sample\n        config: { greeting: hej }\n' },
    });
    const project = (await createProject({ name: 'yml-plugins' })).body;
    const id = (await queen.api('POST', `/api/projects/${project.id}/jobs`, { branch: 'yml-plugins' })).body.id;
    const job = await queen.waitForJob(id);
    assert.equal(job.status, 'passed', job.message ?? '');
    const text = (await queen.api('GET', `/api/jobs/${id}/log`)).text;
    assert.match(text, /from custom in yml[\s\S]*hej from sample plugin 1/);
  });

  it('ends the job errored when a plugin\'s phases throw, with the plugin named', async () => {
    const project = (await createProject({ name: 'bad-phases', plugins: [{ name: 'hive-plugin-bad-phases' }] })).body;
    const { job } = await build(project.id);
    assert.equal(job.status, 'errored');
    assert.match(job.message ?? '', /Plugin "hive-plugin-bad-phases" failed to prepare the job: phases exploded/);
  });

  it('never lets a hook that throws or hangs change the build', async () => {
    const project = (await createProject({
      name: 'hanging-hooks', plugins: [{ name: 'hive-plugin-hangs' }], config: { phases: { test: ['echo fine'] } },
    })).body;
    const { job } = await build(project.id);
    assert.equal(job.status, 'passed');
    await queen.hooks.settled(); // the hanging hook is abandoned after its 300 ms timeout
    assert.equal((await queen.api('GET', `/api/jobs/${job.id}`)).body.status, 'passed');
    assert.equal((await queen.api('GET', '/api/plugins')).status, 200, 'the queen still serves');
  });
});
