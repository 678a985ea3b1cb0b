/**
 * A project's deploy key, held by a private `ssh-agent` for the length of one git
 * operation — so the key is never written to a file.
 *
 * Why not a 0600 key file in a private temp dir: build commands run by the process
 * executor are processes of the drone's own user, and a job running beside the checkout
 * could read such a file (mode bits do not stop the same user). An agent keeps the key in
 * its memory, which ssh-agent makes unreadable to other processes (it is not dumpable);
 * ssh asks it for signatures over a socket in the private dir. Another process of the
 * same user could still ask for a signature while the agent lives (seconds, during the
 * fetch), but never obtain the key.
 *
 * The agent is started in ssh-agent's command mode with `cat` as its command: `cat`
 * reads a pipe from this process, so when this process ends, however it ends, `cat`
 * ends, and ssh-agent — which checks that its command still runs every 10 s — exits with
 * it. No agent, and no key, outlives the drone or the git host. `stop()` ends it at once.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export class SshAgentError extends Error {
  override name = 'SshAgentError';
}

export interface KeyAgent {
  /** The agent's socket (ssh's `IdentityAgent`). */
  socket: string;
  /** The key's public half, which tells ssh which of the agent's keys to use (`IdentitiesOnly`). */
  publicKeyFile: string;
  /** Ends the agent; safe to call more than once. */
  stop(): Promise<void>;
}

/** Each tool call is local and quick; one that takes longer than this is stuck (a prompt). */
const TOOL_TIMEOUT_MS = 15_000;

/**
 * Starts an agent with its socket in `dir` (a private directory the caller removes) and
 * adds `privateKey` to it. `path` is the PATH to find ssh-agent and ssh-add by.
 */
export async function startKeyAgent(dir: string, privateKey: string, path: string | undefined): Promise<KeyAgent> {
  const socket = join(dir, 'agent');
  const env = { ...(path !== undefined && { PATH: path }), SSH_AUTH_SOCK: socket, SSH_ASKPASS_REQUIRE: 'never' };
  // `detached`: a session of its own, without the terminal a drone may have been started
  // from, so nothing can prompt there.
  const holder = spawn('ssh-agent', ['-a', socket, 'sh', '-c', 'echo "$SSH_AGENT_PID"; exec cat >/dev/null'], {
    env, stdio: ['pipe', 'pipe', 'pipe'], detached: true,
  });
  const exited = new Promise<void>((resolve) => holder.once('close', () => resolve()));
  let agentPid: number | undefined;
  const stop = async () => {
    if (agentPid !== undefined) {
      try {
        process.kill(agentPid, 'SIGTERM');
      } catch {
        // ESRCH: gone already.
      }
      agentPid = undefined;
    }
    holder.stdin?.end();
    await exited;
  };
  try {
    agentPid = await agentPidOf(holder);
    // A key pasted without its last newline is "invalid format" to ssh-add.
    await runTool('ssh-add', ['-q', '-'], env, privateKey.endsWith('\n') ? privateKey : `${privateKey}\n`, 'could not load the deploy key');
    const publicKey = await runTool('ssh-add', ['-L'], env, undefined, 'could not read the deploy key back');
    const publicKeyFile = join(dir, 'id.pub');
    await writeFile(publicKeyFile, publicKey, { mode: 0o600 });
    return { socket, publicKeyFile, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** The agent's pid, which its command prints as soon as the socket listens (ssh-agent binds before it starts the command). */
function agentPidOf(holder: ChildProcess): Promise<number> {
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    const timer = setTimeout(() => fail(new SshAgentError('ssh-agent did not start in time')), TOOL_TIMEOUT_MS);
    const fail = (e: Error) => {
      clearTimeout(timer);
      reject(e);
    };
    holder.stderr!.on('data', (d: Buffer) => {
      err = (err + d.toString()).slice(-2000);
    });
    holder.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const line = /^(\d+)\n/.exec(out);
      if (!line) return;
      clearTimeout(timer);
      resolve(Number(line[1]));
    });
    holder.once('error', (e) => fail(new SshAgentError(`ssh-agent could not start (${e.message}); a deploy key needs OpenSSH's client (ssh, ssh-agent, ssh-add)`, { cause: e })));
    holder.once('exit', (code) => fail(new SshAgentError(`ssh-agent exited (code ${code}): ${err.trim() || 'no message'}`)));
  });
}

/** Runs ssh-add; its stdout, or an SshAgentError with its stderr (which never holds the key). */
function runTool(cmd: string, args: string[], env: Record<string, string>, input: string | undefined, what: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env, stdio: ['pipe', 'pipe', 'pipe'], detached: true, timeout: TOOL_TIMEOUT_MS, killSignal: 'SIGKILL' });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => void (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => void (err = (err + d.toString()).slice(-2000)));
    child.once('error', (e) => reject(new SshAgentError(`${what}: ${cmd} could not start (${e.message})`, { cause: e })));
    child.once('close', (code, signal) => {
      if (code === 0) return resolve(out);
      const why = signal ? `${cmd} was stopped after ${TOOL_TIMEOUT_MS / 1000} s (is the key protected by a passphrase?)` : err.trim() || `${cmd} exited with code ${code}`;
      reject(new SshAgentError(`${what}: ${why}`));
    });
    // EPIPE when the tool exits before reading (bad arguments): its exit code tells why.
    child.stdin.on('error', () => {});
    child.stdin.end(input);
  });
}
