import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildJobSpec, type Contribution } from '../../server/jobs/build-spec.ts';
import { mergeConfigs } from '../../server/jobs/merge-config.ts';
import { parseBuildConfig, parseHiveYml } from '../../server/jobs/repo-config.ts';

const base = {
  job: { id: 'j1', number: 7, type: 'TEST' as const },
  project: { id: 'p1', name: 'demo', repoUrl: '/repo' },
  checkout: { sha: 'a'.repeat(40), branch: 'main' },
  defaultTimeoutMs: 60_000,
};
const merged = (config: object, plugins = []) => mergeConfigs({ config: parseBuildConfig(config, 'test'), plugins }, undefined, 'main');

describe('.hive.yml and project config', () => {
  it('parses commands given as a string or a list', () => {
    const c = parseHiveYml('phases:\n  prepare: npm ci\n  test:\n    - npm test\n    - npm run lint\nenv:\n  RETRIES: 3\n  DEBUG: true\n');
    assert.deepEqual(c.phases, { prepare: ['npm ci'], test: ['npm test', 'npm run lint'] });
    assert.deepEqual(c.env, { RETRIES: '3', DEBUG: 'true' });
  });

  it('treats an empty file as an empty config', () => {
    assert.deepEqual(parseHiveYml(''), {});
  });

  it('reports bad YAML and bad fields clearly', () => {
    assert.throws(() => parseHiveYml('phases: [unclosed'), /\.hive\.yml is not valid YAML/);
    assert.throws(() => parseHiveYml('phases:\n  tset: [x]\n'), /Invalid \.hive\.yml: phases/);
    assert.throws(() => parseHiveYml('timeout: -5\n'), /timeout/);
    assert.throws(() => parseHiveYml('env:\n  "BAD NAME": x\n'), /env/);
    assert.throws(() => parseHiveYml('colour: red\n'), /colour/);
    assert.throws(() => parseHiveYml('branches:\n  main:\n    colour: red\n'), /branches\.main/);
    assert.throws(() => parseHiveYml('plugins:\n  - config: {}\n'), /plugins\[0\]\.name/);
    assert.throws(() => parseBuildConfig({ phases: { test: [1] } }, 'project config'), /Invalid project config: phases\.test\[0\]/);
  });
});

describe('buildJobSpec', () => {
  it('compiles the config into every phase, empty where nothing is set', () => {
    const spec = buildJobSpec({ ...base, config: merged({ phases: { test: ['npm test'] }, env: { A: '1' } }), contributions: [] });
    assert.deepEqual(spec.phases, { environment: [], prepare: [], test: [{ run: 'npm test' }], deploy: [], cleanup: [] });
    assert.deepEqual(spec.env, { A: '1' });
    assert.deepEqual(spec.secrets, {});
    assert.equal(spec.timeoutMs, 60_000);
    assert.deepEqual(spec.checkout, { repoUrl: '/repo', sha: 'a'.repeat(40), branch: 'main' });
    assert.equal(spec.number, 7);
    assert.equal('image' in spec, false);
    assert.equal('services' in spec, false);
  });

  it('carries the project\'s workspace setting, except for a fork\'s pull request, which builds fresh', () => {
    const project = { ...base.project, workspace: 'incremental' as const, workspaceCaches: ['node_modules'] };
    const spec = buildJobSpec({ ...base, project, config: merged({}), contributions: [] });
    assert.deepEqual(spec.workspace, { mode: 'incremental', caches: ['node_modules'] });
    const fork = buildJobSpec({
      ...base, project, config: merged({}), contributions: [],
      ref: { refspec: 'refs/pull/3/head', pullRequest: { number: 3, baseBranch: 'main', fork: true } },
    });
    assert.deepEqual(fork.workspace, { mode: 'fresh', caches: [] });
    assert.equal('workspace' in buildJobSpec({ ...base, config: merged({}), contributions: [] }), false, 'none without the setting');
  });

  it('puts plugin commands first, in plugin order, then the config\'s own commands', () => {
    const contributions: Contribution[] = [
      { plugin: 'a', requiresDrone: false, contribution: { commands: { test: ['a-test'], prepare: [{ run: 'a-prep', display: 'prep (a)' }] } } },
      { plugin: 'b', requiresDrone: true, contribution: { commands: { test: ['b-test'] } } },
    ];
    const spec = buildJobSpec({ ...base, config: merged({ phases: { test: ['own-test'] } }), contributions });
    assert.deepEqual(spec.phases.test.map((c) => c.run), ['a-test', 'b-test', 'own-test']);
    assert.deepEqual(spec.phases.prepare, [{ run: 'a-prep', display: 'prep (a)' }]);
    assert.deepEqual(spec.requires.plugins, ['b'], 'only plugins that need a drone are required of it');
  });

  it('layers env, image, container, services, labels and secret refs', () => {
    const contributions: Contribution[] = [
      { plugin: 'node', requiresDrone: false, contribution: { image: 'node:20', env: { A: 'node', B: 'node' } } },
      { plugin: 'docker', requiresDrone: false, contribution: { container: { pull: 'never', memoryMb: 256 }, services: [{ name: 'db', image: 'postgres' }], labels: ['docker'] } },
      { plugin: 'env', requiresDrone: false, contribution: { env: { B: 'env' }, secretEnv: { TOKEN: 'npm_token' } } },
    ];
    const spec = buildJobSpec({ ...base, config: merged({ env: { C: 'own' }, labels: ['linux'], services: [{ name: 'cache', image: 'redis' }] }), contributions });
    assert.equal(spec.image, 'node:20');
    assert.deepEqual(spec.container, { pull: 'never', privileged: false, memoryMb: 256 });
    assert.deepEqual(spec.env, { A: 'node', B: 'env', C: 'own' });
    assert.deepEqual(spec.services?.map((s) => s.name), ['db', 'cache']);
    assert.deepEqual(spec.requires.labels, ['docker', 'linux']);
    assert.deepEqual(spec.secretRefs, { TOKEN: 'npm_token' });
    assert.deepEqual(spec.secrets, {}, 'values are never in the compiled spec');
  });

  it('lets the config\'s own image win over a plugin\'s', () => {
    const spec = buildJobSpec({ ...base, config: merged({ image: 'debian:12' }), contributions: [{ plugin: 'node', requiresDrone: false, contribution: { image: 'node:20' } }] });
    assert.equal(spec.image, 'debian:12');
    assert.deepEqual(spec.container, { pull: 'if-not-present', privileged: false });
  });

  it('tells commands about tags and pull requests', () => {
    const pr = buildJobSpec({ ...base, ref: { refspec: '+refs/pull/7/merge', pullRequest: { number: 7, baseBranch: 'main', headBranch: 'fix' } }, config: merged({}), contributions: [] });
    assert.deepEqual(pr.env, { HIVE_PULL_REQUEST: '7', HIVE_TARGET_BRANCH: 'main', HIVE_SOURCE_BRANCH: 'fix' });
    const tag = buildJobSpec({ ...base, ref: { tag: 'v1.2.0' }, config: merged({ env: { A: '1' } }), contributions: [] });
    assert.deepEqual(tag.env, { HIVE_TAG: 'v1.2.0', A: '1' });
  });

  it('converts the timeout from seconds', () => {
    assert.equal(buildJobSpec({ ...base, config: merged({ timeout: 5 }), contributions: [] }).timeoutMs, 5000);
  });
});
