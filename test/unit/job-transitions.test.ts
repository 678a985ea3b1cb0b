import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FINAL_STATUSES, JOB_STATUSES } from '../../common/protocol/index.ts';
import { assertTransition, canTransition, IllegalTransitionError, JOB_TRANSITIONS } from '../../server/jobs/job-transitions.ts';

describe('the job state machine', () => {
  it('has a row for every status, and final statuses lead nowhere', () => {
    assert.deepEqual(Object.keys(JOB_TRANSITIONS).sort(), [...JOB_STATUSES].sort());
    for (const s of FINAL_STATUSES) assert.deepEqual(JOB_TRANSITIONS[s], [], s);
  });

  it('allows the paths a job takes', () => {
    for (const [from, to] of [
      ['queued', 'assigned'], ['queued', 'errored'], ['queued', 'cancelled'],
      ['assigned', 'running'], ['assigned', 'queued'], ['assigned', 'passed'], ['assigned', 'errored'],
      ['running', 'passed'], ['running', 'failed'], ['running', 'timed_out'], ['running', 'cancelled'], ['running', 'queued'],
    ] as const) assert.ok(canTransition(from, to), `${from} → ${to}`);
  });

  it('refuses the others with a typed error naming both ends', () => {
    for (const [from, to] of [
      ['passed', 'running'], ['failed', 'queued'], ['cancelled', 'passed'], ['queued', 'running'], ['queued', 'passed'], ['running', 'assigned'],
    ] as const) {
      assert.ok(!canTransition(from, to), `${from} → ${to}`);
      assert.throws(() => assertTransition(from, to, 'job-1'), (err: unknown) =>
        err instanceof IllegalTransitionError && err.from === from && err.to === to && err.status === 409 &&
        err.message === `A job cannot go from ${from} to ${to} (job job-1)`);
    }
  });

  it('checks every status a change may start from', () => {
    assert.doesNotThrow(() => assertTransition(['assigned', 'running'], 'cancelled'));
    assert.throws(() => assertTransition(['queued', 'running'], 'timed_out'), IllegalTransitionError);
  });
});
