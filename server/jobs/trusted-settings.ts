/**
 * The trust boundary between a project's settings (written by an admin) and the
 * repository's `.hive.yml` (written by anyone who can push a branch, or open a pull
 * request from a fork). Settings that reach the drone's host — a privileged container,
 * running outside the project's container, lifted memory/CPU limits, dropped drone labels
 * — may come only from the admin's side.
 *
 * The check compares two compiled specs of the same job: the one the project's settings
 * alone give, and the one with `.hive.yml` merged in. Comparing results rather than
 * inspecting fields means every path (a plugin added or disabled by `.hive.yml`, its
 * config merged by name, branch sections) is covered, including plugins yet to be written.
 * A violation ends the job `errored` naming the setting: the build does not run with a
 * value quietly dropped, which would be a different build from the one asked for.
 */
import type { JobSpec } from '../../common/protocol/index.ts';

export interface TrustViolation {
  /** The spec field, e.g. `container.privileged`. */
  field: string;
  /** What was asked for against what the settings allow, in words. */
  detail: string;
}

/** What `.hive.yml` asked for beyond the admin's settings; empty when it stays within them. */
export function trustViolations(admin: JobSpec, withRepo: JobSpec): TrustViolation[] {
  const out: TrustViolation[] = [];
  if (withRepo.container?.privileged && !admin.container?.privileged) {
    out.push({ field: 'container.privileged', detail: 'a privileged container' });
  }
  if (admin.image && !withRepo.image) {
    out.push({ field: 'image', detail: `running outside the project's container (${admin.image})` });
  }
  for (const [field, unit] of [['memoryMb', 'MiB'], ['cpus', 'CPUs']] as const) {
    const limit = admin.container?.[field];
    const asked = withRepo.container?.[field];
    if (limit !== undefined && (asked === undefined || asked > limit)) {
      out.push({ field: `container.${field}`, detail: `${asked === undefined ? 'no limit' : `${asked} ${unit}`} where the project allows ${limit} ${unit}` });
    }
  }
  const dropped = admin.requires.labels.filter((l) => !withRepo.requires.labels.includes(l));
  if (dropped.length > 0) {
    out.push({ field: 'labels', detail: `dropping the drone label${dropped.length > 1 ? 's' : ''} ${dropped.join(', ')} the project requires` });
  }
  return out;
}

/** The message a job ends `errored` with. */
export function describeViolations(violations: TrustViolation[], fork: boolean): string {
  const list = violations.map((v) => `${v.field} (${v.detail})`).join('; ');
  const how = fork
    ? 'builds of pull requests from forks never get trusted settings'
    : "only an admin can, in the project's settings, or by marking the project trusted";
  return `.hive.yml asks for trusted settings: ${list} — ${how}`;
}
