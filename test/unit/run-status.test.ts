import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { JobStatus } from '../../common/protocol/index.ts';
import { runCounts, runStatus, isFinalRunStatus } from '../../common/run-status.ts';

/** Each job a status (a drone took it unless it is queued), or `[status, whether a drone took it]`. */
const jobs = (...list: (JobStatus | [JobStatus, boolean])[]) =>
  list.map((j) => (Array.isArray(j) ? { status: j[0], ran: j[1] } : { status: j, ran: j !== 'queued' }));

describe('a run\'s status from its jobs', () => {
  it('is queued while no job has left the queue', () => {
    assert.equal(runStatus(jobs('queued', 'queued', 'queued')), 'queued');
    // Cancelled or errored before any drone took it: still nothing ran.
    assert.equal(runStatus(jobs('queued', ['cancelled', false], ['errored', false])), 'queued');
    assert.equal(runStatus([]), 'queued');
  });

  it('is running while any job is assigned or running, or some wait after others ran', () => {
    assert.equal(runStatus(jobs('queued', 'assigned')), 'running');
    assert.equal(runStatus(jobs('passed', 'running', 'failed')), 'running');
    assert.equal(runStatus(jobs('passed', 'queued', 'queued')), 'running', 'one ran, two wait for a slot');
    assert.equal(runStatus(jobs(['queued', true], 'queued')), 'running', 'a job re-queued after a lost drone had run');
  });

  it('is passed only when every job passed', () => {
    assert.equal(runStatus(jobs('passed')), 'passed');
    assert.equal(runStatus(jobs('passed', 'passed', 'passed')), 'passed');
  });

  it('is failed when all ended and any failed or timed out, whatever else happened', () => {
    assert.equal(runStatus(jobs('passed', 'failed', 'passed')), 'failed');
    assert.equal(runStatus(jobs('failed', 'errored', 'cancelled')), 'failed');
    assert.equal(runStatus(jobs('passed', 'timed_out')), 'failed');
  });

  it('is errored when all ended, any errored and none failed', () => {
    assert.equal(runStatus(jobs('passed', 'errored')), 'errored');
    assert.equal(runStatus(jobs('errored', 'cancelled')), 'errored');
  });

  it('is cancelled when all ended, any was cancelled and none failed or errored', () => {
    assert.equal(runStatus(jobs('passed', 'cancelled')), 'cancelled');
    assert.equal(runStatus(jobs(['cancelled', false], ['cancelled', false])), 'cancelled');
  });

  it('counts each status, assigned as running', () => {
    assert.deepEqual(runCounts(jobs('queued', 'assigned', 'running', 'passed', 'passed', 'failed', 'errored', 'cancelled', 'timed_out')), {
      queued: 1, running: 2, passed: 2, failed: 1, errored: 1, cancelled: 1, timed_out: 1,
    });
  });

  it('knows which statuses are final', () => {
    assert.deepEqual(['queued', 'running', 'passed', 'failed', 'errored', 'cancelled'].filter((s) => isFinalRunStatus(s as never)), ['passed', 'failed', 'errored', 'cancelled']);
  });
});
