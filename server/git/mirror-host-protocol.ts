/** Messages between the queen and its git host process (mirror-host.ts, mirror-host-client.ts). */
import type { GitTimeouts } from '../../common/git/git-timeouts.ts';
import type { RepoMirrors } from './repo-mirror.ts';

/** What the queen asks of its repository mirrors; served by the git host process. */
/** The largest `.hive.yml` read, by the mirrors or through a forge's API (forge-config.ts). */
export const MAX_CONFIG_BYTES = 256 * 1024;

export type Mirrors = Pick<RepoMirrors, 'resolve' | 'parents' | 'readFile' | 'remove'>;
/** Calls the git host serves: the queen's `Mirrors`, and `readCommitFile` behind its `readFile`. */
export type MirrorMethod = keyof Mirrors | 'readCommitFile';

export type HostRequest =
  | { type: 'init'; dir: string; env: Record<string, string>; timeouts: GitTimeouts }
  | { type: 'call'; id: number; method: MirrorMethod; args: unknown[] };

export type HostReply =
  | { type: 'ready' }
  | { type: 'result'; id: number; value: unknown }
  | { type: 'error'; id: number; name: string; message: string };
