/**
 * Which Hive the tests' child processes run (drones, queen processes, the `hive` CLI): the
 * compiled dist/ when it was built from the current sources — what `npm ci` leaves in CI
 * and what users install — and otherwise the sources through tsx, so that an edit is
 * tested without a build. The compiled one starts in about a third of the time (tsx
 * transforms every module at each start), which over a suite's hundreds of processes is
 * minutes. `npm run build` after an edit brings the quick path back.
 */
import { fileURLToPath } from 'node:url';
import { isBuildFresh } from '../../scripts/build-freshness.mjs';

const root = fileURLToPath(new URL('../..', import.meta.url));
const inRoot = (path: string) => fileURLToPath(new URL(`../../${path}`, import.meta.url));

/** Decided once per test process: a file's children all run the same Hive. */
export const runsCompiledHive: boolean = isBuildFresh(root);

/** Node arguments that start the `hive` command (then its own arguments). */
export const hiveCommandArgs: string[] = runsCompiledHive ? [inRoot('dist/scripts/hive.js')] : [inRoot('scripts/hive.mjs')];

/** Node arguments that start a drone (then its own arguments). */
export const droneCommandArgs: string[] = runsCompiledHive ? [inRoot('dist/drone/main.js')] : ['--import', 'tsx', inRoot('drone/main.ts')];
