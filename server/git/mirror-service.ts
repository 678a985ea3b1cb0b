/**
 * Where the queen's repository mirrors run, chosen by its database:
 *
 * - On the embedded database, in the git host (mirror-host.ts): a process that holds
 *   PGlite's WebAssembly memory makes every `git` it starts slower (starting a process
 *   copies the starter's page tables: ~3.4 ms from a 45 MiB process, +1.6 ms per 100 MiB
 *   more, measured here), and that memory only grows.
 * - On PostgreSQL, in the queen itself (in-process-mirrors.ts): the queen stays near
 *   80 MiB, so a `git` costs it about what it costs the host, and the host's own ~50 MiB
 *   (a whole Node.js process) is saved.
 */
import type { GitTimeouts } from '../../common/git/git-timeouts.ts';
import type { Logger } from '../logger.ts';
import { InProcessMirrors } from './in-process-mirrors.ts';
import { MirrorHost } from './mirror-host-client.ts';
import type { Mirrors } from './mirror-host-protocol.ts';

export interface MirrorService extends Mirrors {
  /** The git host's process id while it runs; undefined for mirrors in the queen's process. */
  readonly pid: number | undefined;
  /** Ready to serve (the git host started: the queen does this before opening its database). */
  start(): Promise<void>;
  /** Ends every git in flight (and the git host); calls in flight fail. */
  stop(): Promise<void>;
}

export interface MirrorOptions {
  dir: string;
  env: Record<string, string>;
  timeouts: GitTimeouts;
  log: Logger;
}

export function createMirrorService(database: 'pglite' | 'postgres', options: MirrorOptions): MirrorService {
  return database === 'pglite' ? new MirrorHost(options) : new InProcessMirrors(options);
}
