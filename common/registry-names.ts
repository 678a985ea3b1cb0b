/**
 * Container registries by name, as the Docker engine and client name them: an image
 * reference's registry, and a configuration key (`https://index.docker.io/v1/`,
 * `ghcr.io`, `http://host:5000`) as a bare host — the drone's host logins
 * (drone/docker/registry-auth.ts) and a project's (server/jobs/registry-logins.ts) are
 * matched to images by these.
 */

/** Docker Hub goes by several names in configurations. */
export const DOCKER_HUB = 'docker.io';
const HUB_ALIASES = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io', 'registry.hub.docker.com']);

/**
 * The registry of an image reference: its first component when that names a host (has a
 * dot or a port, or is `localhost`), else Docker Hub — the engine's own rule.
 */
export function registryOf(image: string): string {
  const slash = image.indexOf('/');
  if (slash < 0) return DOCKER_HUB;
  const first = image.slice(0, slash);
  if (first.includes('.') || first.includes(':') || first === 'localhost') return normalizeRegistry(first);
  return DOCKER_HUB;
}

/** A configuration key (`https://index.docker.io/v1/`, `ghcr.io`, `http://host:5000`) as a bare host. */
export function normalizeRegistry(key: string): string {
  const host = key.replace(/^[a-z]+:\/\//i, '').replace(/\/.*$/, '').toLowerCase();
  return HUB_ALIASES.has(host) ? DOCKER_HUB : host;
}
