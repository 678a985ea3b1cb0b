import assert from 'node:assert/strict';
import { it } from 'node:test';
import { ConflictError, GoneError, HiveError, NotFoundError, ResolveError, ValidationError } from '../../server/errors.ts';

it('each typed error carries its status, code, own name and cause', () => {
  const cause = new Error('underneath');
  const cases: [HiveError, number, string, string][] = [
    [new ValidationError('v', { cause }), 400, 'validation_error', 'ValidationError'],
    [new NotFoundError('n'), 404, 'not_found', 'NotFoundError'],
    [new ConflictError('c'), 409, 'conflict', 'ConflictError'],
    [new GoneError('g'), 410, 'gone', 'GoneError'],
    [new ResolveError('r'), 500, 'resolve_error', 'ResolveError'],
  ];
  for (const [err, status, code, name] of cases) {
    assert.ok(err instanceof HiveError);
    assert.deepEqual([err.status, err.code, err.name], [status, code, name]);
  }
  assert.equal(cases[0][0].cause, cause);
  assert.ok(!(new NotFoundError('x') instanceof ConflictError));
});
