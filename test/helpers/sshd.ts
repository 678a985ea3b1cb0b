/**
 * A real OpenSSH server for tests (Debian's openssh-server): `/usr/sbin/sshd` run in the
 * foreground as the current user, on a free port of 127.0.0.1, with its own host key,
 * config and authorized_keys in a temp dir — no system sshd, no PAM. The authorized key may
 * run `git-upload-pack` (fetches) and nothing else, so git URLs like
 * `ssh://user@127.0.0.1:port/path/to/repo` work against repositories made by createGitRepo.
 *
 *   const reason = sshdUnavailable();          // skip the tests with it when set
 *   const sshd = await startSshd({ authorizedKey: publicKeyLine });
 *   sshd.urlFor(repo.dir); sshd.knownHosts;    // what ssh-keyscan would print
 *   sshd.accepted();                           // how many logins it accepted
 *   await sshd.restart({ newHostKey: true });  // same port, another host key
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './free-port.ts';

const exec = promisify(execFile);
export const SSHD = '/usr/sbin/sshd';
// sshd started by root separates privileges into this directory, which it never creates.
const PRIVSEP_DIR = '/run/sshd';

/** Why no test sshd can run here, or undefined when one can. */
export function sshdUnavailable(): string | undefined {
  if (!existsSync(SSHD)) return `${SSHD} is not installed (apt-get install openssh-server)`;
  if (process.getuid?.() === 0 && !existsSync(PRIVSEP_DIR)) {
    try {
      mkdirSync(PRIVSEP_DIR, { mode: 0o755 });
    } catch (err) {
      return `sshd started by root needs ${PRIVSEP_DIR}, which could not be created: ${(err as Error).message}`;
    }
  }
  return undefined;
}

export interface TestSshd {
  port: number;
  user: string;
  /** An ssh:// URL of a repository directory on this server. */
  urlFor(dir: string): string;
  /** The server's host key as a known_hosts line (`[127.0.0.1]:port ssh-ed25519 AAAA…`). */
  readonly knownHosts: string;
  /** Its fingerprint as ssh-keygen -l prints it (`SHA256:…`). */
  readonly fingerprint: string;
  /** Logins it accepted so far (each git fetch over ssh is one). */
  accepted(): number;
  /** Everything sshd logged. */
  log(): string;
  /** Stops and starts it again on the same port; with a new host key when asked. */
  restart(options?: { newHostKey?: boolean }): Promise<void>;
  stop(): Promise<void>;
}

// Only fetches: anything else the key asks to run is refused.
const GIT_ONLY = `#!/bin/sh
case "$SSH_ORIGINAL_COMMAND" in
  "git-upload-pack "*) exec sh -c "$SSH_ORIGINAL_COMMAND" ;;
  *) echo "this key may only fetch" >&2; exit 1 ;;
esac
`;

export async function startSshd(options: { authorizedKey: string }): Promise<TestSshd> {
  const dir = await mkdtemp(join(os.tmpdir(), 'hive-sshd-'));
  const port = await freePort();
  const user = os.userInfo().username;
  const hostKey = join(dir, 'host_ed25519');
  await writeFile(join(dir, 'git-only.sh'), GIT_ONLY, { mode: 0o755 });
  await writeFile(join(dir, 'authorized_keys'), `restrict,command="${join(dir, 'git-only.sh')}" ${options.authorizedKey.trim()}\n`, { mode: 0o600 });
  const config = join(dir, 'sshd_config');
  await writeFile(config, [
    `Port ${port}`,
    'ListenAddress 127.0.0.1',
    `HostKey ${hostKey}`,
    'PidFile none',
    'UsePAM no',
    // The temp dir's owner and modes are the test's, not what sshd wants for a home.
    'StrictModes no',
    `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'PermitRootLogin prohibit-password',
    `AllowUsers ${user}`,
    'LogLevel VERBOSE',
    '',
  ].join('\n'));

  let knownHosts = '';
  let fingerprint = '';
  const newHostKey = async () => {
    await rm(hostKey, { force: true });
    await rm(`${hostKey}.pub`, { force: true });
    await exec('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'hive-test-host', '-f', hostKey]);
    const [type, key] = (await readFile(`${hostKey}.pub`, 'utf8')).split(' ');
    knownHosts = `[127.0.0.1]:${port} ${type} ${key}\n`;
    fingerprint = (await exec('ssh-keygen', ['-l', '-f', `${hostKey}.pub`])).stdout.split(' ')[1];
  };
  await newHostKey();

  let child: ChildProcess | undefined;
  let log = '';
  const start = async () => {
    const proc = spawn(SSHD, ['-D', '-e', '-f', config], { stdio: ['ignore', 'ignore', 'pipe'] });
    child = proc;
    // sshd says it listens once its socket is bound: the event to wait for.
    await new Promise<void>((resolve, reject) => {
      proc.stderr!.on('data', (d: Buffer) => {
        log += d.toString();
        if (log.includes(`Server listening on 127.0.0.1 port ${port}`)) resolve();
      });
      proc.once('error', reject);
      proc.once('exit', (code) => reject(new Error(`sshd exited (${code}) before listening:\n${log}`)));
    });
  };
  const stop = async () => {
    const proc = child;
    child = undefined;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise((resolve) => proc.once('exit', resolve));
    proc.kill('SIGTERM');
    await exited;
  };
  await start();

  return {
    port,
    user,
    urlFor: (repoDir) => `ssh://${user}@127.0.0.1:${port}${repoDir}`,
    get knownHosts() {
      return knownHosts;
    },
    get fingerprint() {
      return fingerprint;
    },
    accepted: () => log.split('\n').filter((l) => l.includes('Accepted publickey for')).length,
    log: () => log,
    async restart(opts = {}) {
      await stop();
      if (opts.newHostKey) await newHostKey();
      await start();
    },
    async stop() {
      await stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
