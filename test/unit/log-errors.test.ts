import assert from 'node:assert/strict';
import { it } from 'node:test';
import { DrizzleQueryError } from 'drizzle-orm';
import { serializeError } from '../../server/log-errors.ts';

it('logs a failed query by its text and the database\'s error, never its parameters', () => {
  const driver = Object.assign(new Error('could not extend file "base/5/16445": No space left on device'), { code: '53100' });
  const failed = new DrizzleQueryError('insert into "job_log_chunks" ("job_id", "body") values ($1, $2)', ['job-1', 'the job\'s output, or a hash'], driver);
  const outer = new Error('storing failed', { cause: failed });
  const logged = JSON.stringify(serializeError(outer));
  assert.doesNotMatch(logged, /the job's output, or a hash/);
  assert.match(logged, /insert into \\"job_log_chunks\\"/);
  assert.match(logged, /No space left on device/);
  assert.equal(outer.cause, failed, 'the error itself is left as it was');
  assert.match(failed.message, /params: job-1/);
});
