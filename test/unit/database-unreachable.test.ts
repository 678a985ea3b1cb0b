import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isDatabaseUnreachable } from '../../server/db/database-unreachable.ts';

const coded = (code: string, message = code) => Object.assign(new Error(message), { code });

describe('isDatabaseUnreachable', () => {
  it('knows a lost, refused or timed-out connection, and a server shutting down or starting', () => {
    for (const code of ['CONNECTION_CLOSED', 'CONNECTION_ENDED', 'CONNECTION_DESTROYED', 'CONNECT_TIMEOUT', 'ECONNREFUSED', 'ECONNRESET', 'EPIPE', '57P01', '57P03', '08006', '08001']) {
      assert.equal(isDatabaseUnreachable(coded(code)), true, code);
    }
  });

  it('looks along the cause chain (drizzle wraps the driver\'s error)', () => {
    const wrapped = new Error('Failed query: select 1', { cause: coded('CONNECTION_CLOSED') });
    assert.equal(isDatabaseUnreachable(new Error('outer', { cause: wrapped })), true);
  });

  it('does not take a failed statement, or anything else, for an unreachable database', () => {
    for (const code of ['23505', '42601', '40001', '57014', 'ENOENT']) assert.equal(isDatabaseUnreachable(coded(code)), false, code);
    assert.equal(isDatabaseUnreachable(new Error('boom')), false);
    assert.equal(isDatabaseUnreachable('CONNECTION_CLOSED'), false);
    assert.equal(isDatabaseUnreachable(undefined), false);
    assert.equal(isDatabaseUnreachable({ code: 'ECONNREFUSED' }), false, 'not an Error');
  });
});
