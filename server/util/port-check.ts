/**
 * The queen's port, checked before anything else starts: a port another program holds is
 * then one clear line at once, instead of a raw EADDRINUSE trace after the database opened.
 * (Another program can still take the port in between; the queen reports that the same way.)
 */
import { createServer } from 'node:net';
import { HiveError } from '../errors.ts';

export class PortUnavailableError extends HiveError {
  override readonly code = 'port_unavailable';
}

/** The error to show for a failed listen on host:port, or undefined if `err` is not about the port. */
export function portError(err: unknown, host: string, port: number): PortUnavailableError | undefined {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'EADDRINUSE') {
    return new PortUnavailableError(`Port ${port} on ${host} is already in use by another program; stop it, or set HIVE_PORT to a free port`, { cause: err });
  }
  if (code === 'EACCES') {
    return new PortUnavailableError(`Port ${port} on ${host} needs privileges this process lacks; set HIVE_PORT to a port above 1023`, { cause: err });
  }
  if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND') {
    return new PortUnavailableError(`HIVE_HOST ${host} is not an address of this machine; set it to one (0.0.0.0 for all)`, { cause: err });
  }
  return undefined;
}

/** Resolves when host:port can be listened on now; rejects with a PortUnavailableError otherwise. */
export function checkPortFree(host: string, port: number): Promise<void> {
  if (port === 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', (err) => reject(portError(err, host, port) ?? err));
    probe.listen(port, host, () => probe.close(() => resolve()));
  });
}
