/**
 * Where the Docker engine is: `unix:///path`, a bare `/path`, `tcp://host:port` or
 * `http://host:port` (no TLS), or the default socket `/var/run/docker.sock`. The address
 * comes from the drone's config (`--docker-host`), never straight from the environment.
 * The shape is dockerode's connection options, so the same value serves both clients.
 */
export type EngineAddress = { socketPath: string } | { protocol: 'http'; host: string; port: number };

export function engineAddress(host?: string): EngineAddress {
  if (!host) return { socketPath: '/var/run/docker.sock' };
  if (host.startsWith('unix://')) return { socketPath: host.slice('unix://'.length) };
  if (host.startsWith('/')) return { socketPath: host };
  const url = new URL(host.replace(/^tcp:/, 'http:'));
  if (url.protocol !== 'http:') throw new Error(`unsupported Docker host ${JSON.stringify(host)}; use unix:///path or tcp://host:port`);
  return { protocol: 'http', host: url.hostname, port: Number(url.port || 2375) };
}
