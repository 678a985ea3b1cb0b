/**
 * A `.hive.yml` build matrix: variables with their values, and combinations to leave out.
 *
 *   matrix:
 *     NODE: ["18", "20"]
 *     DB: [pg, sqlite]
 *     exclude:
 *       - { NODE: "18", DB: sqlite }
 *
 * makes one job per remaining combination (`exclude` sits inside `matrix`, as in Woodpecker
 * and GitHub Actions). Each job gets its combination as environment variables and as its
 * name. Pure: the schema checks everything a job could trip on later (names, duplicates,
 * exclusions naming unknown values, too many combinations) so a bad matrix is one clear
 * error when the commit is resolved, before any job is made.
 */
import { z } from 'zod';

/** Jobs one matrix may make (after exclusions): a typo in a list should not flood the drones. */
export const MAX_MATRIX_COMBINATIONS = 100;
/** Combinations before exclusions: enumerating is cheap, but not without end. */
const MAX_MATRIX_PRODUCT = 10_000;
const MAX_VALUES = 100;

export type MatrixCombination = Record<string, string>;

export interface Matrix {
  /** Variable → its values, in the order written. */
  variables: Record<string, string[]>;
  exclude: MatrixCombination[];
}

/** YAML numbers and booleans become strings (`18` → "18"; quote `"3.10"`, or YAML reads 3.1). */
const value = z
  .union([z.string().min(1).max(200), z.number(), z.boolean()], { error: 'must be a string, number or boolean (a non-empty one, at most 200 characters)' })
  .transform(String);

/** Names a job's environment may take from a matrix; HIVE_* and CI are Hive's own, PATH is the shell's. */
function reservedName(name: string): boolean {
  return name === 'HIVE' || name.startsWith('HIVE_') || name === 'CI' || name === 'PATH';
}

const variableName = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be a valid environment variable name')
  .max(100)
  .refine((n) => !reservedName(n), 'is reserved (HIVE_*, CI and PATH are set by Hive or the shell)');

export const matrixSchema = z
  .record(z.string(), z.unknown())
  .transform((raw, ctx): Matrix => {
    let bad = false;
    const problem = (path: PropertyKey[], message: string) => {
      bad = true;
      ctx.addIssue({ code: 'custom', path, message });
    };
    const variables: Record<string, string[]> = {};
    for (const [name, values] of Object.entries(raw)) {
      if (name === 'exclude') continue;
      const checkedName = variableName.safeParse(name);
      if (!checkedName.success) {
        problem([name], checkedName.error.issues[0].message);
        continue;
      }
      const list = z.array(value).min(1, 'must list at least one value').max(MAX_VALUES).safeParse(values);
      if (!list.success) {
        const issue = list.error.issues[0];
        problem([name, ...issue.path], Array.isArray(values) ? issue.message : 'must be a list of values');
        continue;
      }
      const seen = new Set<string>();
      for (const v of list.data) {
        if (seen.has(v)) problem([name], `lists "${v}" twice`);
        seen.add(v);
      }
      variables[name] = list.data;
    }
    if (Object.keys(raw).every((k) => k === 'exclude')) {
      problem([], 'must name at least one variable with its values');
    }
    const exclude: MatrixCombination[] = [];
    const excludeList = z.array(z.record(z.string(), value)).max(MAX_MATRIX_COMBINATIONS * 10).safeParse(raw.exclude ?? []);
    if (!excludeList.success) {
      problem(['exclude'], 'must be a list of combinations, e.g. [{NODE: "18", DB: sqlite}]');
    } else {
      excludeList.data.forEach((entry, i) => {
        if (Object.keys(entry).length === 0) problem(['exclude', i], 'must name at least one variable');
        for (const [name, v] of Object.entries(entry)) {
          if (!(name in raw) || name === 'exclude') {
            problem(['exclude', i, name], 'is not a variable of the matrix');
          } else if (variables[name] && !variables[name].includes(v)) {
            problem(['exclude', i, name], `"${v}" is not one of its values`);
          }
        }
        exclude.push(entry);
      });
    }
    if (bad) return z.NEVER;
    const product = Object.values(variables).reduce((n, values) => n * values.length, 1);
    if (product > MAX_MATRIX_PRODUCT) {
      problem([], `makes ${product} combinations; at most ${MAX_MATRIX_COMBINATIONS} jobs are allowed`);
      return z.NEVER;
    }
    const count = matrixCombinations({ variables, exclude }).length;
    if (count === 0) problem(['exclude'], 'leaves out every combination');
    if (count > MAX_MATRIX_COMBINATIONS) {
      problem([], `makes ${count} combinations; at most ${MAX_MATRIX_COMBINATIONS} jobs are allowed`);
    }
    return { variables, exclude };
  });

/**
 * Every combination, the first variable varying slowest (NODE=18 DB=pg, NODE=18 DB=sqlite,
 * NODE=20 DB=pg …), without those an `exclude` entry matches (an entry naming some of the
 * variables leaves out every combination with those values).
 */
export function matrixCombinations(matrix: Matrix): MatrixCombination[] {
  let combos: MatrixCombination[] = [{}];
  for (const [name, values] of Object.entries(matrix.variables)) {
    combos = combos.flatMap((c) => values.map((v) => ({ ...c, [name]: v })));
  }
  const excluded = (c: MatrixCombination) =>
    matrix.exclude.some((entry) => Object.entries(entry).every(([k, v]) => c[k] === v));
  return combos.filter((c) => !excluded(c));
}
