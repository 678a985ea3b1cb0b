/**
 * A project's logins to container registries, for pulling its jobs' images from private
 * registries (GitHub's, GitLab's, a company's): stored per registry host — the user name
 * as it is, the password sealed with the queen's secret box — shown without passwords,
 * changed per registry (set, or `null` to remove), and opened only into the assignment of
 * a job that may have secrets (assignment-spec.ts). The drone uses a project's login for
 * its registry before its host's own (drone/docker/registry-auth.ts).
 */
import type { SecretBox } from '../auth/secret-box.ts';
import type { ProjectRegistryLogin } from '../../common/protocol/index.ts';
import { normalizeRegistry } from '../../common/registry-names.ts';

/** At most this many per project: as many as a job's assignment carries (common/protocol/job-spec.ts). */
export const MAX_REGISTRY_LOGINS = 20;

/** As stored: registry host → user name and sealed password. */
export type StoredRegistryLogins = Record<string, { username: string; passwordEnc: string }>;

/** A change: registry → the new login, or null to remove it. */
export type RegistryLoginsChange = Record<string, { username: string; password: string } | null>;

/** The stored logins after `change` (registries named as the engine names them: `docker.io` for any of Docker Hub's names). */
export function mergeRegistryLogins(box: SecretBox, stored: StoredRegistryLogins, change: RegistryLoginsChange): StoredRegistryLogins {
  const merged = { ...stored };
  for (const [name, login] of Object.entries(change)) {
    const registry = normalizeRegistry(name);
    if (login === null) delete merged[registry];
    else merged[registry] = { username: login.username, passwordEnc: box.seal(login.password) };
  }
  return merged;
}

/** What the API and pages show: the registries and their user names, never a password. */
export function registryLoginsView(stored: StoredRegistryLogins): { registry: string; username: string }[] {
  return Object.entries(stored).map(([registry, { username }]) => ({ registry, username })).sort((a, b) => a.registry.localeCompare(b.registry));
}

/** The logins opened, for a job's assignment. */
export function openRegistryLogins(box: SecretBox, stored: StoredRegistryLogins): ProjectRegistryLogin[] {
  return Object.entries(stored).map(([registry, { username, passwordEnc }]) => ({ registry, username, password: box.open(passwordEnc) }));
}
