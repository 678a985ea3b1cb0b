/**
 * Drone labels with a meaning of their own. A privileged job requires
 * `PRIVILEGED_LABEL`, and only a drone started with `--allow-privileged` reports it, so a
 * privileged container never reaches a drone whose operator did not allow one.
 */
export const PRIVILEGED_LABEL = 'privileged';
