import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildJobSpec, mergeBuildConfig } from '../../server/jobs/build-spec.ts';
import { parseBuildConfig, parseHiveYml } from '../../server/jobs/repo-config.ts';

const base = {
  job: { id: 'j1', number: 7, type: 'TEST' as const },
  project: { id: 'p1', name: 'demo', repoUrl: '/repo' },
  checkout: { sha: 'a'.repeat(40), branch: 'main' },
  defaultTimeoutMs: 60_000,
};

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
    assert.throws(() => parseBuildConfig({ phases: { test: [1] } }, 'project config'), /Invalid project config: phases\.test\[0\]/);
  });
});

describe('buildJobSpec', () => {
  it('compiles the project config into every phase, empty where nothing is set', () => {
    const spec = buildJobSpec({ ...base, projectConfig: { phases: { test: ['npm test'] }, env: { A: '1' } } });
    assert.deepEqual(spec.phases, { environment: [], prepare: [], test: [{ run: 'npm test' }], deploy: [], cleanup: [] });
    assert.deepEqual(spec.env, { A: '1' });
    assert.deepEqual(spec.secrets, {});
    assert.equal(spec.timeoutMs, 60_000);
    assert.deepEqual(spec.checkout, { repoUrl: '/repo', sha: 'a'.repeat(40), branch: 'main' });
    assert.equal(spec.number, 7);
    assert.equal('image' in spec, false);
  });

  it('lets .hive.yml replace a phase list, merge env, and replace image, timeout and labels', () => {
    const merged = mergeBuildConfig(
      { phases: { prepare: ['make deps'], test: ['make test'] }, env: { A: '1', B: '1' }, image: 'debian', timeout: 60, labels: ['x'] },
      { phases: { test: ['make check'] }, env: { B: '2', C: '3' }, timeout: 5, labels: ['y'] },
    );
    assert.deepEqual(merged.phases, { prepare: ['make deps'], test: ['make check'] });
    assert.deepEqual(merged.env, { A: '1', B: '2', C: '3' });
    assert.equal(merged.image, 'debian');
    assert.equal(merged.timeout, 5);
    assert.deepEqual(merged.labels, ['y']);
    const spec = buildJobSpec({ ...base, projectConfig: { timeout: 60 }, repoConfig: { timeout: 5, labels: ['gpu'] } });
    assert.equal(spec.timeoutMs, 5000);
    assert.deepEqual(spec.requires, { labels: ['gpu'], plugins: [] });
  });

  it('keeps the project config when the repository has no .hive.yml', () => {
    assert.deepEqual(mergeBuildConfig({ image: 'x' }, undefined), { image: 'x' });
  });
});
