/**
 * Drone labels with a meaning of their own. A privileged job requires
 * `PRIVILEGED_LABEL`, and only a drone started with `--allow-privileged` reports it, so a
 * privileged container never reaches a drone whose operator did not allow one.
 */
export const PRIVILEGED_LABEL = 'privileged';

/**
 * Reported by a drone whose Docker engine answered at start. A job that names an image
 * requires it — it never runs silently on a drone's host — unless its project allows
 * falling back to plain processes (`processFallback`).
 */
export const DOCKER_LABEL = 'docker';
