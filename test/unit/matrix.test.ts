import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ValidationError } from '../../server/errors.ts';
import { statusContext } from '../../server/forges/commit-status.ts';
import { matrixCombinations } from '../../server/jobs/matrix.ts';
import { parseHiveYml, projectConfigSchema } from '../../server/jobs/repo-config.ts';

const matrixOf = (yml: string) => {
  const { matrix } = parseHiveYml(yml);
  assert.ok(matrix, 'a matrix');
  return matrix;
};
const refused = (yml: string, message: RegExp) =>
  assert.throws(() => parseHiveYml(yml), (err: unknown) => err instanceof ValidationError && message.test(err.message), message.source);

describe('.hive.yml matrix', () => {
  it('makes every combination, the first variable varying slowest, without the excluded ones', () => {
    const matrix = matrixOf(`
matrix:
  NODE: ["18", "20"]
  DB: [pg, sqlite]
  exclude:
    - { NODE: "18", DB: sqlite }
`);
    assert.deepEqual(matrixCombinations(matrix), [{ NODE: '18', DB: 'pg' }, { NODE: '20', DB: 'pg' }, { NODE: '20', DB: 'sqlite' }]);
    assert.deepEqual(Object.keys(matrixCombinations(matrix)[0]), ['NODE', 'DB'], 'in the order written');
  });

  it('reads YAML numbers and booleans as strings', () => {
    const matrix = matrixOf('matrix:\n  NODE: [18, 20]\n  STRICT: [true, false]\n');
    assert.deepEqual(matrix.variables, { NODE: ['18', '20'], STRICT: ['true', 'false'] });
  });

  it('lets a partial exclusion leave out every combination with its values', () => {
    const matrix = matrixOf('matrix:\n  OS: [linux, mac]\n  NODE: ["18", "20", "22"]\n  exclude: [{ OS: mac }]\n');
    assert.deepEqual(matrixCombinations(matrix), [{ OS: 'linux', NODE: '18' }, { OS: 'linux', NODE: '20' }, { OS: 'linux', NODE: '22' }]);
  });

  it('keeps a single variable as a list of jobs', () => {
    assert.deepEqual(matrixCombinations(matrixOf('matrix:\n  SHARD: [1, 2, 3]\n')), [{ SHARD: '1' }, { SHARD: '2' }, { SHARD: '3' }]);
  });

  it('refuses what would go wrong later, naming the field', () => {
    refused('matrix:\n  node-version: ["18"]\n', /matrix\.node-version: must be a valid environment variable name/);
    refused('matrix:\n  HIVE_COMMIT: [a]\n', /matrix\.HIVE_COMMIT: is reserved/);
    refused('matrix:\n  PATH: [a]\n', /matrix\.PATH: is reserved/);
    refused('matrix:\n  CI: [a]\n', /matrix\.CI: is reserved/);
    refused('matrix:\n  NODE: []\n', /matrix\.NODE: must list at least one value/);
    refused('matrix:\n  NODE: "18"\n', /matrix\.NODE: must be a list of values/);
    refused('matrix:\n  NODE: [{ v: 1 }]\n', /matrix\.NODE\[0\]: must be a string, number or boolean/);
    refused('matrix:\n  NODE: ["18", 18]\n', /matrix\.NODE: lists "18" twice/);
    refused('matrix: {}\n', /matrix: must name at least one variable/);
    refused('matrix:\n  exclude: [{ A: x }]\n', /matrix: must name at least one variable/);
    refused('matrix:\n  NODE: ["18"]\n  exclude: [{ DB: pg }]\n', /matrix\.exclude\[0\]\.DB: is not a variable of the matrix/);
    refused('matrix:\n  NODE: ["18"]\n  exclude: [{ NODE: "19" }]\n', /matrix\.exclude\[0\]\.NODE: "19" is not one of its values/);
    refused('matrix:\n  NODE: ["18"]\n  exclude: [{}]\n', /matrix\.exclude\[0\]: must name at least one variable/);
    refused('matrix:\n  NODE: ["18"]\n  exclude: { NODE: "18" }\n', /matrix\.exclude: must be a list of combinations/);
    refused('matrix:\n  NODE: ["18"]\n  exclude: [{ NODE: "18" }]\n', /matrix\.exclude: leaves out every combination/);
    refused('matrix: [a, b]\n', /matrix/);
  });

  it('caps the number of jobs a matrix makes', () => {
    const values = (n: number) => `[${Array.from({ length: n }, (_, i) => i).join(', ')}]`;
    assert.equal(matrixCombinations(matrixOf(`matrix:\n  A: ${values(10)}\n  B: ${values(10)}\n`)).length, 100);
    refused(`matrix:\n  A: ${values(10)}\n  B: ${values(11)}\n`, /matrix: makes 110 combinations; at most 100 jobs are allowed/);
    // Exclusions count: 11 × 10 minus one row of 10 is 100 again.
    assert.equal(matrixCombinations(matrixOf(`matrix:\n  A: ${values(11)}\n  B: ${values(10)}\n  exclude: [{ A: 10 }]\n`)).length, 100);
    // A product far too large is refused without being enumerated.
    refused(`matrix:\n  A: ${values(100)}\n  B: ${values(100)}\n  C: ${values(100)}\n`, /makes 1000000 combinations/);
  });

  it('belongs to .hive.yml, not to a project\'s settings', () => {
    const result = projectConfigSchema.safeParse({ matrix: { NODE: ['18'] } });
    assert.equal(result.success, false);
  });
});

describe('a matrix job on the forge', () => {
  it('has a commit status of its own per combination, so one combination cannot hide another', () => {
    assert.equal(statusContext({ type: 'TEST', matrix: { NODE: '18', DB: 'pg' } }), 'hive/test (NODE=18 DB=pg)');
    assert.equal(statusContext({ type: 'TEST_AND_DEPLOY', matrix: null }), 'hive/test_and_deploy');
  });
});
