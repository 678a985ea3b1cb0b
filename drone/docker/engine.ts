/**
 * The connection to a Docker engine: which one (`DOCKER_HOST`-style address, read by
 * config.ts) and whether it answers.
 */
import Docker from 'dockerode';

/**
 * A client for `unix:///path`, `tcp://host:port` or `http://host:port` (no TLS), or the
 * default socket `/var/run/docker.sock`. The address comes from the drone's config, never
 * straight from the environment.
 */
export function createDockerClient(host?: string): Docker {
  if (!host) return new Docker({ socketPath: '/var/run/docker.sock' });
  if (host.startsWith('unix://')) return new Docker({ socketPath: host.slice('unix://'.length) });
  if (host.startsWith('/')) return new Docker({ socketPath: host });
  const url = new URL(host.replace(/^tcp:/, 'http:'));
  if (url.protocol !== 'http:') throw new Error(`unsupported Docker host ${JSON.stringify(host)}; use unix:///path or tcp://host:port`);
  return new Docker({ protocol: 'http', host: url.hostname, port: Number(url.port || 2375) });
}

export type EnginePing = { ok: true; version: string; apiVersion: string } | { ok: false; reason: string };

/** Asks the engine for its version; never rejects, never waits longer than `timeoutMs`. */
export async function pingEngine(docker: Docker, timeoutMs = 3_000): Promise<EnginePing> {
  const signal = AbortSignal.timeout(timeoutMs);
  try {
    // The typings lack the abortSignal option that dockerode honours.
    const version = docker.version as unknown as (opts: { abortSignal: AbortSignal }) => Promise<Docker.DockerVersion>;
    const info = await version.call(docker, { abortSignal: signal });
    return { ok: true, version: info.Version, apiVersion: info.ApiVersion };
  } catch (err) {
    const reason = signal.aborted ? `no answer within ${timeoutMs} ms` : (err as Error).message;
    return { ok: false, reason };
  }
}
