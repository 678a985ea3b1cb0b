/** The rules for a project's workspace caches (common/workspace-caches.ts) and the drone's tree leases. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { workspaceCacheProblem } from '../../common/workspace-caches.ts';
import { TreeLeases } from '../../drone/workspaces/tree-leases.ts';

describe('workspace caches', () => {
  it('takes gitignore patterns of paths inside the workspace', () => {
    for (const ok of ['node_modules', '.cache/', 'packages/*/dist', 'target', '.gradle/caches', 'a.b-c_d']) {
      assert.equal(workspaceCacheProblem(ok), undefined, ok);
    }
  });

  it('refuses options, walking up, .git, everything, spaces and negations', () => {
    const bad: Record<string, RegExp> = {
      '': /empty/, '-x': /starts with "-"/, '../up': /"\.\."/, 'a/./b': /"\."/, '.git': /\.git/, 'sub/.GIT/': /\.git/,
      '*': /everything/, '**/': /everything/, '/': /whole workspace/, 'a b': /may contain only/, '!keep': /may contain only/,
      'a\nb': /may contain only/, [`${'a'.repeat(201)}`]: /longer than/,
    };
    for (const [entry, problem] of Object.entries(bad)) assert.match(workspaceCacheProblem(entry) ?? '', problem, JSON.stringify(entry));
  });
});

describe('tree leases', () => {
  it('give each job of a project the lowest free tree, and the same one when asked again', () => {
    const leases = new TreeLeases();
    assert.equal(leases.take('p', 'j1').slot, 1);
    assert.equal(leases.take('p', 'j2').slot, 2);
    assert.equal(leases.take('q', 'k1').slot, 1, 'projects are counted apart');
    assert.equal(leases.take('p', 'j1').slot, 1, 'a job keeps its lease');
    assert.equal(leases.release('j1'), true);
    assert.equal(leases.release('j1'), false);
    assert.equal(leases.take('p', 'j3').slot, 1, 'a released tree is taken again');
    assert.equal(leases.take('p', 'j4').slot, 3);
    assert.equal(leases.held('j2')?.slot, 2);
  });
});
