/**
 * A connect timeout for git over http(s), which has none of its own: git's low-speed
 * limit only counts once connected, and a host that drops packets leaves git waiting in
 * connect() for minutes (the kernel's SYN retries, then curl's 300 s). So beside the git
 * process we open one TCP connection of our own to the same host and port, closed as soon
 * as it connects; if it does not connect within the timeout, git would not either, and
 * the caller gives up on the fetch. Started alongside git, it adds no delay to a fetch.
 *
 * Only for direct connections: with a proxy in git's environment the probe would test
 * the wrong host, so none runs (the low-speed and total timeouts still apply). A probe
 * that fails fast (refused, unknown host) says nothing: git reports that error itself.
 */
import { connect } from 'node:net';

const PROXY_VARIABLES = ['http_proxy', 'https_proxy', 'all_proxy', 'HTTP_PROXY', 'HTTPS_PROXY', 'ALL_PROXY'];

/** The host and port git will connect to for `url`, when it is a direct http(s) connection. */
export function probeTarget(url: string, env: Record<string, string>): { host: string; port: number } | undefined {
  if (PROXY_VARIABLES.some((name) => env[name])) return undefined;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return undefined;
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return undefined;
  const port = parsed.port ? Number(parsed.port) : parsed.protocol === 'https:' ? 443 : 80;
  // URL keeps IPv6 literals in brackets; net.connect wants them bare.
  return { host: parsed.hostname.replace(/^\[(.*)\]$/, '$1'), port };
}

/** Calls `onTimeout` unless a TCP connection to the target opens within `timeoutMs`; returns a cancel. */
export function probeConnect(target: { host: string; port: number }, timeoutMs: number, onTimeout: () => void): () => void {
  const socket = connect({ host: target.host, port: target.port });
  const done = () => {
    clearTimeout(timer);
    socket.destroy();
  };
  const timer = setTimeout(() => {
    done();
    onTimeout();
  }, timeoutMs);
  socket.once('connect', done);
  socket.once('error', done);
  return done;
}
