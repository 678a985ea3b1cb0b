import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { redactSecrets, SecretRedactor } from '../../common/secrets/redact.ts';
import { redact } from '../../drone/checkout.ts';

describe('redactSecrets', () => {
  it('replaces every occurrence of every secret with *** by default', () => {
    assert.equal(redactSecrets('pw=hunter2 tok=s3cr3t again hunter2', ['hunter2', 's3cr3t']), 'pw=*** tok=*** again ***');
  });

  it('leaves values shorter than 3 characters alone', () => {
    assert.equal(redactSecrets('1 on abc', ['1', 'on', 'abc']), '1 on ***');
  });

  it('takes regex metacharacters literally and prefers the longer of two secrets at one place', () => {
    assert.equal(redactSecrets('a.b*c axbc', ['a.b*c']), '*** axbc');
    assert.equal(redactSecrets('xabcdefx abcx', ['abc', 'abcdef'], '#'), 'x#x #x');
  });

  it('returns the text unchanged without secrets', () => {
    assert.equal(redactSecrets('nothing here', []), 'nothing here');
  });
});

describe('SecretRedactor', () => {
  it('keeps the distinct values worth redacting, longest first', () => {
    const r = new SecretRedactor(['abc', 'x', 'abcdef', 'abc'], '[hidden]');
    assert.deepEqual(r.secrets, ['abcdef', 'abc']);
    assert.equal(r.redact('abc abcdef'), '[hidden] [hidden]');
    assert.equal(new SecretRedactor([]).pattern, undefined);
  });
});

describe("the drone's checkout redaction", () => {
  it('removes URL userinfo and the given secrets', () => {
    assert.equal(redact('fetch https://user:tok123@example.com/r.git failed: tok123', ['tok123']), 'fetch https://***@example.com/r.git failed: ***');
  });
});
