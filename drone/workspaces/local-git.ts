/**
 * Runs a git command that never talks to a server (checkout, clean, clone from the
 * drone's own cache) and returns its stdout. Plain execFile rather than simple-git:
 * simple-git waits 50 ms after every git that printed nothing, and an update of a work
 * tree runs several. Failures are `LocalGitError`s carrying git's complaint.
 */
import { execFile } from 'node:child_process';
import { POSIX_SHELL } from '../posix-shell.ts';

export class LocalGitError extends Error {
  override name = 'LocalGitError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

export interface LocalGitOptions {
  cwd: string;
  /** Host variables git may see (PATH, HOME); prompts are always off. */
  env: Record<string, string>;
  signal?: AbortSignal;
}

export function localGit(args: string[], options: LocalGitOptions): Promise<string> {
  return run('git', args, options, `git ${args.find((a) => !a.startsWith('-') && !a.includes('=')) ?? ''}`);
}

/**
 * Runs a shell script of local git commands (`sh -c script sh ...args`) and returns its
 * stdout: one process started from the drone for several git commands.
 */
export function localGitScript(script: string, args: string[], options: LocalGitOptions): Promise<string> {
  return run(POSIX_SHELL, ['-c', script, 'sh', ...args], options, 'git');
}

function run(file: string, args: string[], options: LocalGitOptions, what: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(file, args, {
      cwd: options.cwd,
      env: { ...options.env, GIT_TERMINAL_PROMPT: '0' },
      signal: options.signal,
      maxBuffer: 256 * 1024 * 1024,
      encoding: 'utf8',
    }, (err, stdout, stderr) => {
      if (!err) return resolve(stdout);
      const said = stderr.split('\n').map((l) => l.trim()).filter(Boolean).join(' ').slice(0, 2_000);
      reject(new LocalGitError(`${what} failed: ${said || err.message}`, { cause: err }));
    });
  });
}
