import assert from 'node:assert/strict';
import { it } from 'node:test';
import { CommitFileCache } from '../../server/git/commit-file-cache.ts';

const sha = (n: number) => n.toString(16).padStart(40, '0');

it('keeps files at full object ids only, absent files too', () => {
  const cache = new CommitFileCache(10_000);
  cache.set('r', sha(1), '.hive.yml', 'phases: {}');
  cache.set('r', sha(2), '.hive.yml', null);
  cache.set('r', 'main', '.hive.yml', 'a branch may move');
  cache.set('r', sha(3).slice(0, 12), '.hive.yml', 'a short sha may come to mean another commit');
  assert.equal(cache.get('r', sha(1), '.hive.yml'), 'phases: {}');
  assert.equal(cache.get('r', sha(2), '.hive.yml'), null);
  assert.equal(cache.get('r', 'main', '.hive.yml'), undefined);
  assert.equal(cache.get('r', sha(3).slice(0, 12), '.hive.yml'), undefined);
  assert.equal(cache.get('other', sha(1), '.hive.yml'), undefined, 'per repository');
});

it('holds at most its bytes, dropping the least recently used first', () => {
  const key = `r\0${sha(0)}\0f`.length;
  const cache = new CommitFileCache(3 * (key + 100));
  for (let i = 0; i < 3; i++) cache.set('r', sha(i), 'f', 'x'.repeat(100));
  cache.get('r', sha(0), 'f'); // used: the oldest now is 1
  cache.set('r', sha(3), 'f', 'x'.repeat(100));
  assert.equal(cache.get('r', sha(1), 'f'), undefined);
  for (const i of [0, 2, 3]) assert.equal(cache.get('r', sha(i), 'f')?.length, 100);
  assert.equal(cache.bytes, 3 * (key + 100));
  cache.set('r', sha(4), 'f', 'x'.repeat(10 * key + 1000)); // larger than the whole cache: not kept
  assert.equal(cache.get('r', sha(4), 'f'), undefined);
  assert.equal(cache.bytes, 3 * (key + 100));
  cache.set('r', sha(0), 'f', 'y'); // replaced, not counted twice
  assert.equal(cache.bytes, 2 * (key + 100) + key + 1);
});
