/** Declared parameters and trigger values: the schema projects save, and resolveParams. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ValidationError } from '../../server/errors.ts';
import { parameterDefs, paramValues, resolveParams, withParamsEnv } from '../../server/jobs/job-params.ts';
import { describeZodError } from '../../server/jobs/repo-config.ts';

const problems = (value: unknown) => {
  const r = parameterDefs.safeParse(value);
  return r.success ? '' : describeZodError(r.error);
};

describe('declared parameters', () => {
  it('takes names, descriptions, defaults and choices', () => {
    assert.equal(problems([
      { name: 'TARGET', description: 'Where to deploy', default: 'staging', choices: ['staging', 'production'] },
      { name: 'VERSION_2', default: '' },
      { name: 'NOTES' },
    ]), '');
  });

  it('refuses names that are not upper-case variable names, naming the parameter', () => {
    for (const name of ['target', '1ABC', 'A-B', '', 'A B', `A${'B'.repeat(100)}`]) {
      assert.match(problems([{ name }]), /^\[0\]\.name: /, name);
    }
  });

  it("refuses Hive's own variables and those that decide what code runs", () => {
    for (const name of ['HIVE_BRANCH', 'HIVE', 'CI', 'PATH', 'HOME', 'SHELL', 'IFS', 'ENV', 'BASH_ENV', 'LD_PRELOAD', 'DYLD_INSERT_LIBRARIES', 'GIT_SSH_COMMAND', 'NODE_OPTIONS']) {
      assert.match(problems([{ name }]), /\[0\]\.name: (must not start with|is reserved)/, name);
    }
    assert.equal(problems([{ name: 'HIVEMIND' }, { name: 'PATHS' }, { name: 'HOMEPAGE' }]), '');
  });

  it('refuses a name declared twice, a default outside the choices, repeated and empty choices', () => {
    assert.match(problems([{ name: 'A' }, { name: 'A' }]), /\[1\]\.name: A is declared twice/);
    assert.match(problems([{ name: 'A', default: 'c', choices: ['a', 'b'] }]), /\[0\]\.default: must be one of the choices \("a", "b"\)/);
    assert.match(problems([{ name: 'A', choices: ['a', 'a'] }]), /\[0\]\.choices\[1\]: "a" is listed twice/);
    assert.match(problems([{ name: 'A', choices: [] }]), /\[0\]\.choices: must list at least one value/);
  });

  it('refuses values with NUL, too long values, too many parameters and unknown keys', () => {
    assert.match(problems([{ name: 'A', default: 'a\u0000b' }]), /\[0\]\.default: must not contain a NUL/);
    assert.match(problems([{ name: 'A', default: 'x'.repeat(10_001) }]), /\[0\]\.default: must be at most 10000/);
    assert.match(problems(Array.from({ length: 51 }, (_, i) => ({ name: `P${i}` }))), /at most 50|Too big/i);
    assert.match(problems([{ name: 'A', secret: true }]), /\[0\]: .*secret/i);
  });
});

describe('resolveParams', () => {
  const declared = [
    { name: 'TARGET', default: 'staging', choices: ['staging', 'production'] },
    { name: 'VERSION' },
    { name: 'NOTES', default: 'none' },
  ];

  it('gives the values, defaults for the ones left out, and nothing for those without a default', () => {
    assert.deepEqual(resolveParams(declared, {}), { TARGET: 'staging', NOTES: 'none' });
    assert.deepEqual(resolveParams(declared, undefined), { TARGET: 'staging', NOTES: 'none' });
    assert.deepEqual(resolveParams(declared, { VERSION: '1.2', TARGET: 'production', NOTES: '' }), { TARGET: 'production', VERSION: '1.2', NOTES: '' });
  });

  it('refuses undeclared names, naming them and the declared ones', () => {
    assert.throws(() => resolveParams(declared, { VERSON: '1', OTHER: 'x' }), (err: Error) => {
      assert.ok(err instanceof ValidationError);
      assert.equal(err.message, 'params: undeclared parameters "VERSON", "OTHER" (declared: TARGET, VERSION, NOTES)');
      return true;
    });
    assert.throws(() => resolveParams([], { A: '1' }), /params: undeclared parameter "A" \(the project declares no parameters\)/);
  });

  it('refuses a value outside the choices, naming the parameter and the choices', () => {
    assert.throws(() => resolveParams(declared, { TARGET: 'prod' }), /^ValidationError: params\.TARGET: "prod" is not one of the choices \("staging", "production"\)$/);
  });

  it('refuses values no environment can hold', () => {
    assert.throws(() => resolveParams(declared, { VERSION: 'a\u0000' }), /params\.VERSION: must not contain a NUL/);
    assert.throws(() => resolveParams(declared, { VERSION: 'x'.repeat(10_001) }), /params\.VERSION: must be at most 10000/);
  });

  it('takes numbers and booleans in a trigger as their text', () => {
    const parsed = paramValues.parse({ VERSION: 3, NOTES: true });
    assert.deepEqual(resolveParams(declared, parsed), { TARGET: 'staging', VERSION: '3', NOTES: 'true' });
  });
});

describe('withParamsEnv', () => {
  it('puts the values over the configured env of the same names and keeps the rest', () => {
    const config = { env: { TARGET: 'dev', KEEP: '1' }, image: 'x' };
    assert.deepEqual(withParamsEnv(config, { TARGET: 'production' }), { env: { TARGET: 'production', KEEP: '1' }, image: 'x' });
    assert.equal(withParamsEnv(config, {}), config);
  });
});
