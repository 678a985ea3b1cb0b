import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { branchGlobMatches as branchMatches } from '../../server/util/branch-glob.ts';
import { applyBranchSections, mergeConfigs, mergePlugins } from '../../server/jobs/merge-config.ts';
import type { BuildConfig } from '../../server/jobs/repo-config.ts';

const project = (config: BuildConfig, plugins: { name: string; enabled: boolean; config: Record<string, unknown> }[] = []) => ({ config, plugins });

describe('mergeConfigs: repository over project', () => {
  it('replaces a phase list per phase and keeps the project\'s other phases', () => {
    const m = mergeConfigs(project({ phases: { prepare: ['make deps'], test: ['make test'] } }), { phases: { test: ['make check'] } }, 'main');
    assert.deepEqual(m.phases, { prepare: ['make deps'], test: ['make check'] });
  });

  it('merges env key by key', () => {
    const m = mergeConfigs(project({ env: { A: '1', B: '1' } }), { env: { B: '2', C: '3' } }, 'main');
    assert.deepEqual(m.env, { A: '1', B: '2', C: '3' });
  });

  it('replaces image, timeout and services; adds labels to the project\'s', () => {
    const m = mergeConfigs(
      project({ image: 'debian', timeout: 60, labels: ['x'], services: [{ name: 'db', image: 'pg' }] }),
      { image: 'alpine', timeout: 5, labels: ['y'], services: [{ name: 'cache', image: 'redis' }] },
      'main',
    );
    assert.equal(m.image, 'alpine');
    assert.equal(m.timeout, 5);
    assert.deepEqual(m.labels, ['x', 'y'], 'a repository may narrow the drones, never drop a project label');
    assert.deepEqual(m.services, [{ name: 'cache', image: 'redis' }]);
  });

  it('keeps the project\'s settings when the repository has no .hive.yml', () => {
    const m = mergeConfigs(project({ image: 'x', env: { A: '1' } }), undefined, 'main');
    assert.equal(m.image, 'x');
    assert.deepEqual(m.env, { A: '1' });
  });

  it('leaves retryOnLostDrone to the project alone', () => {
    assert.equal(mergeConfigs(project({ retryOnLostDrone: true }), { retryOnLostDrone: false }, 'main').retryOnLostDrone, true);
    assert.equal(mergeConfigs(project({}), { retryOnLostDrone: true }, 'main').retryOnLostDrone, undefined);
  });
});

describe('branch sections', () => {
  it('matches globs: * within a segment, ** across', () => {
    assert.ok(branchMatches('release/*', 'release/1.0'));
    assert.ok(!branchMatches('release/*', 'release/1.0/hotfix'));
    assert.ok(branchMatches('release/**', 'release/1.0/hotfix'));
    assert.ok(branchMatches('main', 'main'));
    assert.ok(!branchMatches('main', undefined), 'no branch (a PR or a bare sha) matches nothing');
  });

  it('applies every matching section in order, and ignores the rest', () => {
    const c = applyBranchSections({
      env: { STAGE: 'dev', A: '1' },
      branches: {
        'release/*': { env: { STAGE: 'release' }, phases: { deploy: ['./deploy.sh'] } },
        'release/2.*': { env: { STAGE: 'release-2' } },
        main: { env: { STAGE: 'main' } },
      },
    }, 'release/2.1');
    assert.deepEqual(c.env, { STAGE: 'release-2', A: '1' });
    assert.deepEqual(c.phases, { deploy: ['./deploy.sh'] });
    assert.equal('branches' in c, false);
  });

  it('applies sections of both sources before merging them', () => {
    const m = mergeConfigs(
      project({ env: { A: 'p' }, branches: { main: { env: { A: 'p-main' } } } }),
      { env: { B: 'r' }, branches: { main: { env: { B: 'r-main' } } } },
      'main',
    );
    assert.deepEqual(m.env, { A: 'p-main', B: 'r-main' });
  });
});

describe('plugins', () => {
  it('overrides enabled and merges config keys by name, appending new plugins in order', () => {
    const base = [
      { name: 'node', enabled: true, config: { version: '18', install: 'ci' } },
      { name: 'env', enabled: true, config: { vars: { A: '1' } } },
    ];
    const m = mergePlugins(base, [{ name: 'env', enabled: false }, { name: 'node', config: { version: '20' } }, { name: 'docker', config: { image: 'x' } }]);
    assert.deepEqual(m, [
      { name: 'node', enabled: true, config: { version: '20', install: 'ci' } },
      { name: 'env', enabled: false, config: { vars: { A: '1' } } },
      { name: 'docker', config: { image: 'x' } },
    ]);
    assert.equal(base[0].config.version, '18', 'the inputs are not changed');
  });

  it('lets .hive.yml and its branch sections add and override plugins', () => {
    const m = mergeConfigs(
      project({}, [{ name: 'node', enabled: true, config: { version: '18' } }]),
      { plugins: [{ name: 'node', config: { version: '20' } }], branches: { 'feature/*': { plugins: [{ name: 'node', enabled: false }] } } },
      'feature/x',
    );
    assert.deepEqual(m.plugins, [{ name: 'node', enabled: false, config: { version: '20' } }]);
  });
});
