/**
 * The git host: a small child process of the queen that runs its repository mirrors
 * (every `git` the queen needs) and answers over IPC.
 *
 * Why a process of its own: starting a process copies the page tables of the one that
 * starts it, and a queen with the embedded database holds PGlite's WebAssembly memory
 * (close to a gigabyte when the queen still ran initdb itself: every `git` cost ~35 ms
 * instead of ~4 ms, four of them per job). Started before the database opens, this
 * process stays small, and so do its spawns. A queen on PostgreSQL is small itself and
 * runs its mirrors in its own process instead (mirror-service.ts).
 */
import { killAllRemoteGit } from '../../common/git/remote-git.ts';
import { CallsInFlight, STOP_DRAIN_MS } from './calls-in-flight.ts';
import { RepoMirrors } from './repo-mirror.ts';
import type { HostReply, HostRequest } from './mirror-host-protocol.ts';

let mirrors: RepoMirrors | undefined;
const calls = new CallsInFlight();
/**
 * Answers the queen, unless it is gone: a queen that exits (a failed start, a stop) while
 * an answer is on its way must not make this process die with an EPIPE stack trace on the
 * terminal they share — the disconnect handler below ends it quietly.
 */
const reply = (message: HostReply) => {
  if (!process.connected) return;
  process.send!(message, (err: Error | null) => {
    if (err && process.connected) throw err;
  });
};

process.on('message', async (message: HostRequest) => {
  if (message.type === 'init') {
    mirrors = new RepoMirrors(message.dir, message.env, message.timeouts);
    reply({ type: 'ready' });
    return;
  }
  try {
    if (!mirrors) throw new Error('git host used before init');
    const method = mirrors[message.method] as (...args: unknown[]) => Promise<unknown>;
    reply({ type: 'result', id: message.id, value: await calls.track(() => method.apply(mirrors, message.args)) });
  } catch (err) {
    const e = err instanceof Error ? err : new Error(String(err));
    reply({ type: 'error', id: message.id, name: e.name, message: e.message });
  }
});

// The queen is gone (stopped or crashed): nothing left to serve. Fetches in flight (each
// in a process group of its own) would outlive us, so they go first, and the calls still
// running end before this process does (calls-in-flight.ts): the queen's stop waits for
// this exit, and then no git of ours still writes in its data directory.
process.on('disconnect', () => {
  killAllRemoteGit();
  void calls.drain(STOP_DRAIN_MS, killAllRemoteGit).then(() => process.exit(0));
});
