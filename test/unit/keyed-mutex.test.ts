import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { KeyedMutex } from '../../common/keyed-mutex.ts';

describe('KeyedMutex', () => {
  it('runs work of one key one after another, of different keys in parallel', async () => {
    const mutex = new KeyedMutex();
    const log: string[] = [];
    const job = (name: string, ms: number) => async () => {
      log.push(`${name}+`);
      await sleep(ms);
      log.push(`${name}-`);
      return name;
    };
    const results = await Promise.all([mutex.run('a', job('a1', 20)), mutex.run('a', job('a2', 1)), mutex.run('b', job('b1', 1))]);
    assert.deepEqual(results, ['a1', 'a2', 'b1']);
    assert.ok(log.indexOf('a2+') > log.indexOf('a1-'), 'a2 waits for a1');
    assert.ok(log.indexOf('b1+') < log.indexOf('a1-'), 'b1 does not wait for a1');
  });

  it('goes on after a failure, passes it to its caller, and forgets finished keys', async () => {
    const mutex = new KeyedMutex();
    const failed = mutex.run('k', async () => { throw new Error('boom'); });
    const next = mutex.run('k', async () => 'ok');
    await assert.rejects(failed, /boom/);
    assert.equal(await next, 'ok');
    assert.equal(mutex.size, 0);
  });
});
