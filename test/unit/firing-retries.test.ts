/**
 * A schedule's firing that failed (server/schedules/firing-failure.ts, firing-retries.ts):
 * what each kind of error means for it, and the backoff of a transient one — doubling
 * from the first delay, capped, restarted for a new due time, and forgotten with the
 * schedules no longer due.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConflictError, DuplicateJobError, NotFoundError, ValidationError } from '../../server/errors.ts';
import { firingFailure } from '../../server/schedules/firing-failure.ts';
import { FiringRetries } from '../../server/schedules/firing-retries.ts';

const at = (ms: number) => new Date(Date.UTC(2026, 11, 1) + ms);

describe('firingFailure', () => {
  it('tells a due time that has its job, a refused request and anything else apart', () => {
    assert.equal(firingFailure(new DuplicateJobError('key taken')), 'already-fired');
    assert.equal(firingFailure(new ValidationError('params.TARGET: not one of the choices')), 'permanent');
    assert.equal(firingFailure(new NotFoundError('Project gone')), 'permanent');
    assert.equal(firingFailure(new ConflictError('some other conflict')), 'permanent');
    assert.equal(firingFailure(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })), 'transient');
    assert.equal(firingFailure('a string thrown'), 'transient');
  });
});

describe('FiringRetries', () => {
  it('doubles the wait from the first delay up to the cap, for one due time', () => {
    const retries = new FiringRetries(1_000, 5_000);
    const due = at(0);
    const waits = [1, 2, 3, 4, 5].map((n) => {
      const now = at(n * 100_000);
      const { at: when, failures } = retries.failed('p/nightly', due, now);
      assert.equal(failures, n);
      return when.getTime() - now.getTime();
    });
    assert.deepEqual(waits, [1_000, 2_000, 4_000, 5_000, 5_000]);
  });

  it('makes a firing wait until its retry time, then lets it go', () => {
    const retries = new FiringRetries(1_000, 60_000);
    const due = at(0);
    retries.failed('p/nightly', due, at(10));
    assert.deepEqual(retries.waitUntil('p/nightly', due, at(500)), at(1_010));
    assert.equal(retries.waitUntil('p/nightly', due, at(1_010)), undefined, 'due again at its retry time');
    assert.equal(retries.waitUntil('p/other', due, at(500)), undefined, 'another schedule does not wait');
    assert.equal(retries.waitUntil('p/nightly', at(86_400_000), at(500)), undefined, 'a later due time does not wait');
  });

  it('starts the backoff again for a new due time, and forgets cleared or no longer due schedules', () => {
    const retries = new FiringRetries(1_000, 60_000);
    retries.failed('p/nightly', at(0), at(0));
    retries.failed('p/nightly', at(0), at(2_000));
    assert.equal(retries.failed('p/nightly', at(86_400_000), at(86_400_000)).failures, 1, 'a new due time');
    retries.failed('p/hourly', at(0), at(0));
    retries.clear('p/nightly');
    assert.equal(retries.waitUntil('p/nightly', at(86_400_000), at(86_400_100)), undefined);
    retries.keepOnly(new Set(['p/other']));
    assert.equal(retries.waitUntil('p/hourly', at(0), at(10)), undefined, 'hourly is no longer due: forgotten');
  });
});
