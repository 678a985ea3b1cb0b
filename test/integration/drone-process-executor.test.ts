import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, symlink } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ProcessExecutor } from '../../drone/executors/process.ts';
import { parkedPoolFor } from '../../drone/executors/parked-guards.ts';
import { cmdline, groupMembers, isAlive } from '../helpers/processes.ts';
import type { CommandResult, ExecSession } from '../../drone/executors/executor.ts';
import type { JobSpec } from '../../common/protocol/index.ts';
import type { ProcessGroupRecord } from '../../drone/executors/process-group-record.ts';

let workspace: string;
const spec = { jobId: 'j' } as JobSpec;
const BUSYBOX = '/bin/busybox';

before(async () => {
  workspace = await mkdtemp(join(os.tmpdir(), 'hive-drone-exec-'));
});
after(() => rm(workspace, { recursive: true, force: true }));

async function runIn(session: ExecSession, command: string, signal = new AbortController().signal) {
  let stdout = '';
  let stderr = '';
  const result: CommandResult = await session.run(command, {
    onStdout: (c) => (stdout += c),
    onStderr: (c) => (stderr += c),
    signal,
  });
  return { ...result, stdout, stderr };
}



for (const spares of [0, 1]) describe(`ProcessExecutor, ${spares ? 'commands given to parked guards' : 'each command started directly'}`, () => {
  it('runs commands with sh in the workspace, with only the job env and whitelisted host vars', async () => {
    const executor = new ProcessExecutor({ spares, hostEnv: { PATH: process.env.PATH!, HOME: '/home/builder' } });
    const session = await executor.start({ spec, workspace, env: { JOB_VAR: 'x y' } });
    process.env.HIVE_DRONE_TOKEN_LEAK_CHECK = 'drone-secret';
    try {
      const r = await runIn(session, 'pwd; echo "$JOB_VAR|$HOME|${HIVE_DRONE_TOKEN_LEAK_CHECK:-unset}"; env | cut -d= -f1 | sort | tr "\\n" " "');
      assert.equal(r.exitCode, 0);
      const [pwd, vars, names] = r.stdout.split('\n');
      assert.equal(pwd, workspace);
      assert.equal(vars, 'x y|/home/builder|unset');
      // sh adds PWD (and maybe SHLVL/_ ); nothing from the drone's environment.
      const allowed = new Set(['HOME', 'JOB_VAR', 'PATH', 'PWD', 'SHLVL', '_', 'OLDPWD']);
      assert.deepEqual(names.trim().split(' ').filter((n) => !allowed.has(n)), []);
    } finally {
      delete process.env.HIVE_DRONE_TOKEN_LEAK_CHECK;
      await session.dispose();
    }
  });

  it('gives commands the project cache directory in HIVE_CACHE_DIR, created on the host and kept', async () => {
    const cacheRoot = join(workspace, 'cache');
    const executor = new ProcessExecutor({ spares, hostEnv: { PATH: process.env.PATH! }, cacheRoot });
    const session = await executor.start({ spec: { ...spec, projectId: 'p/1' }, workspace, env: {} });
    try {
      const r = await runIn(session, 'echo "$HIVE_CACHE_DIR"; echo kept > "$HIVE_CACHE_DIR/file"');
      assert.equal(r.exitCode, 0, r.stderr);
      const dir = r.stdout.trim();
      assert.ok(dir.startsWith(`${cacheRoot}/p_1-`), dir);
      assert.equal(readFileSync(join(dir, 'file'), 'utf8'), 'kept\n');
    } finally {
      await session.dispose();
    }
  });

  it('reports exit codes, and a killing signal', async () => {
    const session = await new ProcessExecutor({ spares, hostEnv: { PATH: process.env.PATH! } }).start({ spec, workspace, env: {} });
    assert.equal((await runIn(session, 'exit 7')).exitCode, 7);
    const killed = await runIn(session, 'kill -KILL $$');
    assert.deepEqual([killed.exitCode, killed.signal, killed.error], [null, 'SIGKILL', 'killed by SIGKILL']);
    // The command's last program is a child of its shell whichever way it started (never
    // exec'd in its place): killed, it ends the command with 128 + the signal's number.
    const lastKilled = await runIn(session, 'sh -c \'kill -KILL $$\'');
    assert.deepEqual([lastKilled.exitCode, lastKilled.signal], [137, undefined]);
    await session.dispose();
  });

  // A parked guard runs the command in its own shell (process-guard.ts): what that shell
  // did before the command — its watcher, its script on stdin — must not show.
  it('runs a command as `sh -c` does: no parameters, no jobs but its own, stdin at its end, and its stdin its own business', async () => {
    const session = await new ProcessExecutor({ spares, hostEnv: { PATH: process.env.PATH! } }).start({ spec, workspace, env: {} });
    try {
      const r = await runIn(session, [
        'echo "args:$# bang:[$!]"',
        // A watcher that were a job of this shell would be listed, and `wait` wait for it for ever.
        'jobs -p > jobs.txt; if [ -s jobs.txt ]; then echo "jobs: $(cat jobs.txt)"; else sleep 0.01 & wait; echo "waited $?"; fi',
        'if read -r line; then echo "read [$line]"; else echo "stdin at its end"; fi',
        // A shell reading its script from stdin would go on with this file's lines.
        "printf 'echo INJECTED\\n' > injected.sh; exec < injected.sh; false",
      ].join('\n'));
      assert.equal(r.stdout, 'args:0 bang:[]\nwaited 0\nstdin at its end\n', r.stderr);
      assert.equal(r.exitCode, 1);
    } finally {
      await session.dispose();
    }
  });

  it('runs a command with the shell\'s own IFS, OPTIND and PWD whatever the job sets, and traces only the command', async () => {
    const session = await new ProcessExecutor({ spares, hostEnv: { PATH: process.env.PATH! } })
      .start({ spec, workspace, env: { IFS: ':', OPTIND: '5', PWD: '/elsewhere' } });
    try {
      const r = await runIn(session, 'x=a:b; for i in $x; do echo "[$i]"; done; echo "$OPTIND $PWD"; set -x; true');
      assert.equal(r.stdout, `[a:b]\n1 ${workspace}\n`, r.stderr);
      assert.equal(r.stderr, '+ true\n', 'nothing of the guard\'s in the trace');
      assert.equal(r.exitCode, 0);
    } finally {
      await session.dispose();
    }
  });

  it('reports a command that cannot start', async () => {
    const session = await new ProcessExecutor({ spares, hostEnv: { PATH: process.env.PATH! } })
      .start({ spec, workspace: join(workspace, 'does-not-exist'), env: {} });
    const r = await runIn(session, 'true');
    assert.equal(r.exitCode, null);
    assert.equal(r.signal, undefined);
    assert.match(r.error!, /^could not start: .*ENOENT/);
    await session.dispose();
  });

  it('starts the command\'s shell by its path, whatever PATH the job sets', async () => {
    const session = await new ProcessExecutor({ spares, hostEnv: { PATH: process.env.PATH! } })
      .start({ spec, workspace, env: { PATH: join(workspace, 'no-such-dir') } });
    try {
      const r = await runIn(session, '/bin/echo "$PATH"; echo "$0"');
      assert.equal(r.exitCode, 0, r.error ?? r.stderr);
      assert.equal(r.stdout, `${join(workspace, 'no-such-dir')}\n/bin/sh\n`, 'the job\'s PATH is the command\'s, its shell /bin/sh');
    } finally {
      await session.dispose();
    }
  });

  it('resolves promptly when a background process keeps the output pipes open, and dispose kills it', async () => {
    const session = await new ProcessExecutor({ spares, hostEnv: { PATH: process.env.PATH! }, closeWaitMs: 100 })
      .start({ spec, workspace, env: {} });
    const r = await runIn(session, 'sleep 100 & echo "bg $!"');
    assert.equal(r.exitCode, 0);
    const pid = Number(/bg (\d+)/.exec(r.stdout)![1]);
    assert.equal(isAlive(pid), true, 'a later command may still use it');
    await session.dispose();
    // SIGKILL is delivered before kill() returns; wait for the kernel to finish the process.
    while (isAlive(pid)) await new Promise((resolve) => setImmediate(resolve));
    assert.equal(isAlive(pid), false);
  });

  it('stops reading a command\'s output while its consumer is congested: the command waits on its pipe, nothing is lost', async () => {
    const session = await new ProcessExecutor({ spares, hostEnv: { PATH: process.env.PATH! }, closeWaitMs: 50 })
      .start({ spec, workspace, env: {} });
    let stdout = '';
    let stderr = '';
    let congested = true;
    // One per stream that stopped (stdout and stderr wait apart, in either order).
    const resumes: (() => void)[] = [];
    const pending = session.run('echo "$$" >&2; seq 1 300000; echo done >&2', {
      onStdout: (c) => (stdout += c),
      onStderr: (c) => (stderr += c),
      signal: new AbortController().signal,
      flow: { congested: () => congested, whenDrained: (r) => resumes.push(r) },
    });
    // Wait until the command blocks writing to its full pipe (its group's `seq`; node's
    // stdio pipes are socket pairs).
    const blocked = () => {
      const pgid = Number(stderr.split('\n')[0]);
      if (!pgid) return false;
      return groupMembers(pgid).some((pid) => {
        try {
          return /pipe_write|sock_alloc_send/.test(readFileSync(`/proc/${pid}/wchan`, 'utf8'));
        } catch {
          return false; // gone meanwhile
        }
      });
    };
    let ended = false;
    void pending.then(() => (ended = true));
    while (!blocked()) {
      assert.equal(ended, false, 'the command ran to its end: its output was never held back');
      await new Promise((r) => setTimeout(r, 5));
    }
    assert.ok(resumes.length >= 1, 'it asked to be resumed');
    assert.ok(stdout.length < 1_000_000, `it stopped reading (${stdout.length} bytes read)`);
    assert.doesNotMatch(stderr, /done/);
    congested = false;
    for (const resume of resumes.splice(0)) resume();
    const result = await pending;
    assert.equal(result.exitCode, 0);
    const expected = `${Array.from({ length: 300000 }, (_, i) => i + 1).join('\n')}\n`;
    assert.equal(stdout.length, expected.length);
    assert.equal(stdout, expected);
    assert.match(stderr, /done\n$/);
    await session.dispose();
  });

  it('on abort kills the whole process group, even children that ignore SIGTERM', async () => {
    const session = await new ProcessExecutor({ spares, hostEnv: { PATH: process.env.PATH! }, killGraceMs: 200, closeWaitMs: 5_000 })
      .start({ spec, workspace, env: {} });
    const controller = new AbortController();
    let seen = '';
    const pending = session.run(`sh -c 'trap "" TERM; echo stubborn $$; sleep 100' & sleep 100 & echo "child $!"; wait`, {
      onStdout: (c) => {
        seen += c;
        if (/stubborn \d+/.test(seen) && /child \d+/.test(seen)) controller.abort();
      },
      onStderr: () => {},
      signal: controller.signal,
    });
    const result = await pending;
    assert.equal(result.exitCode, null);
    // Killed by now; the kernel may still be finishing a process whose pipes have closed.
    const deadline = Date.now() + 5_000;
    for (const m of seen.matchAll(/(?:stubborn|child) (\d+)/g)) {
      while (isAlive(Number(m[1])) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
      assert.equal(isAlive(Number(m[1])), false, `pid ${m[1]} survived`);
    }
    await session.dispose();
  });

  // Alpine's and the slim images' /bin/sh is busybox, which runs the applet its argv[0]
  // names: a guard must start under the shell's own name (the drone image's CI run met
  // "hive-guard: applet not found" on the command a parked guard took).
  it('runs its guards where /bin/sh is busybox, and names them hive-guard in ps', { skip: existsSync(BUSYBOX) ? false : `no ${BUSYBOX} (busybox-static)` }, async () => {
    const bin = await mkdtemp(join(os.tmpdir(), 'hive-busybox-sh-'));
    await symlink(BUSYBOX, join(bin, 'sh'));
    const executor = new ProcessExecutor({ spares, hostEnv: { PATH: process.env.PATH! }, guardShell: join(bin, 'sh') });
    const session = await executor.start({ spec, workspace, env: {} });
    try {
      for (const command of ['echo first', 'test -f /bin/busybox && echo "second $$"']) {
        const r = await runIn(session, command);
        assert.equal(r.exitCode, 0, r.stderr);
        assert.match(r.stdout, /^(first|second \d+)\n$/);
      }
      // The guard's watcher, a subshell of it, is in the command's group under its name.
      const stop = new AbortController();
      let names: string[] = [];
      await session.run('echo $$; exec sleep 100', {
        onStdout: (c) => {
          names = groupMembers(Number(c)).map((pid) => cmdline(pid).replaceAll('\0', ' '));
          stop.abort();
        },
        onStderr: () => {},
        signal: stop.signal,
      });
      assert.ok(names.some((name) => name.includes('hive-guard')), names.join('\n'));
    } finally {
      await session.dispose();
      executor.close();
      await rm(bin, { recursive: true, force: true });
    }
  });
});

describe('ProcessExecutor: parked guards', () => {
  /** A stand-in for the drone's process-group record that shows which groups were started. */
  function groupLog() {
    const added: number[] = [];
    const removed: number[] = [];
    const record = { add: (pgid: number) => added.push(pgid), remove: (pgids: Iterable<number>) => removed.push(...pgids) };
    return { added, removed, record: record as unknown as ProcessGroupRecord };
  }
  const hostEnv = { PATH: process.env.PATH! };
  /** Turns of the event loop: a batch starts one guard per turn. */
  const turns = async (n: number) => {
    for (let i = 0; i < n; i++) await new Promise((resolve) => setImmediate(resolve));
  };
  /** An executor whose pool of `spares` is full and whose first batch has ended. */
  const filledPool = async (spares: number, refillSparesBelow: number) => {
    const groups = groupLog();
    const executor = new ProcessExecutor({ hostEnv, spares, refillSparesBelow, groupRecord: groups.record });
    await untilStarted(groups, spares);
    await turns(5); // the batch has ended (one taken while it is under way is replaced)
    return { groups, executor };
  };
  /** Until `n` guards have been started (10 s at most: a failure, not a hang). */
  const untilStarted = async (groups: { added: number[] }, n: number) => {
    const deadline = Date.now() + 10_000;
    while (groups.added.length < n) {
      assert.ok(Date.now() < deadline, `${groups.added.length} guards started, waited for ${n}`);
      await turns(1);
    }
  };

  it('runs a command in the guard parked for it, with exactly the job environment, quoting and all', async () => {
    const groups = groupLog();
    const executor = new ProcessExecutor({ hostEnv, spares: 1, groupRecord: groups.record });
    assert.equal(groups.added.length, 1, 'one guard parked as the executor is made');
    const tricky = `it's "quoted" $HOME \`date\` \\ back\nand a second line\n`;
    const env = { TRICKY: tricky, EMPTY: '', OLDPWD: '/the/job/own' };
    const session = await executor.start({ spec, workspace, env });
    try {
      const r = await runIn(session, `echo "$$"; pwd; printf '%s' "$TRICKY" | od -An -c | tr -s ' '; awk 'BEGIN { for (k in ENVIRON) print k }' | sort | tr "\\n" " "; echo; echo "$OLDPWD|$EMPTY|\${EMPTY+set}"`);
      assert.equal(r.exitCode, 0, r.stderr);
      const [pid, pwd, ...rest] = r.stdout.trimEnd().split('\n');
      assert.equal(Number(pid), groups.added[0], 'the command ran in the parked guard');
      assert.equal(pwd, workspace);
      const dumped = (await runIn(session, `printf '%s' "$TRICKY"`)).stdout;
      assert.equal(dumped, tricky, 'a value reaches the command byte for byte');
      assert.deepEqual(rest.at(-2)!.trim().split(' '), ['EMPTY', 'OLDPWD', 'PATH', 'PWD', 'TRICKY']);
      assert.equal(rest.at(-1), '/the/job/own||set', 'the job\'s own OLDPWD, not the guard\'s cd');
    } finally {
      await session.dispose();
      executor.close();
    }
  });

  it('runs the command in the parked guard\'s own shell, without starting another', async () => {
    const executor = new ProcessExecutor({ hostEnv, spares: 1 });
    const session = await executor.start({ spec, workspace, env: {} });
    try {
      const r = await runIn(session, 'tr "\\0" " " < /proc/$$/cmdline');
      assert.equal(r.stdout, '/bin/sh -s hive-guard ', r.stderr);
    } finally {
      await session.dispose();
      executor.close();
    }
  });

  it('has no OLDPWD of its own, as a command started directly', async () => {
    const executor = new ProcessExecutor({ hostEnv, spares: 1 });
    const session = await executor.start({ spec, workspace, env: {} });
    try {
      assert.equal((await runIn(session, 'echo "${OLDPWD-unset}"')).stdout, 'unset\n');
    } finally {
      await session.dispose();
      executor.close();
    }
  });

  it('parks the next command\'s guard while a command that has a successor runs, and one per slot after a job', async () => {
    const groups = groupLog();
    const executor = new ProcessExecutor({ hostEnv, spares: 1, groupRecord: groups.record });
    const session = await executor.start({ spec, workspace, env: {} });
    const pids: number[] = [];
    for (const more of [true, false]) {
      const r = await session.run('echo $$', { onStdout: (c) => pids.push(Number(String(c).trim())), onStderr: () => {}, signal: new AbortController().signal, more });
      assert.equal(r.exitCode, 0);
    }
    assert.deepEqual(pids, groups.added.slice(0, 2), 'each command in a parked guard');
    assert.equal(groups.added.length, 2, 'the last command parks none');
    await session.dispose();
    assert.deepEqual(groups.removed.sort(), [...pids].sort(), 'the session forgets its groups');
    // After the job, the pool is filled again for the next one.
    await untilStarted(groups, 3);
    const parked = groups.added[2]!;
    assert.equal(isAlive(parked), true);
    executor.close();
    while (isAlive(parked)) await new Promise((resolve) => setImmediate(resolve));
    assert.ok(groups.removed.includes(parked), 'close() kills and forgets the parked guards');
  });

  it('refills the pool in batches: none started while enough are parked, then up to its size, one per turn', async () => {
    const groups = groupLog();
    const executor = new ProcessExecutor({ hostEnv, spares: 3, refillSparesBelow: 1, groupRecord: groups.record });
    try {
      assert.equal(groups.added.length, 1, 'as many as refillSparesBelow at once');
      await untilStarted(groups, 3);
      await turns(5); // the batch has ended (one taken while it is under way is replaced)
      const pool = groups.added.slice(0, 3);
      const ran: number[] = [];
      // Two jobs leave one parked, which is enough: no guard is started after them.
      for (let job = 0; job < 2; job++) {
        const session = await executor.start({ spec, workspace, env: {} });
        ran.push(Number((await runIn(session, 'echo $$')).stdout));
        await session.dispose();
        await turns(5);
        assert.equal(groups.added.length, 3, `no guard started after job ${job + 1}: ${JSON.stringify({ ran, added: groups.added })}`);
      }
      // The third takes the last one: the pool is filled again, to its size.
      const session = await executor.start({ spec, workspace, env: {} });
      ran.push(Number((await runIn(session, 'echo $$')).stdout));
      await session.dispose();
      assert.deepEqual(ran, pool, 'each command in a guard of the pool');
      await untilStarted(groups, 6);
      await turns(5);
      assert.equal(groups.added.length, 6, 'no more than the pool holds');
      assert.ok(groups.added.slice(3).every(isAlive));
    } finally {
      executor.close();
    }
  });

  it('holds a batch back while a job runs, and goes on with it once none does', async () => {
    const { groups, executor } = await filledPool(3, 1);
    try {
      const first = await executor.start({ spec, workspace, env: {} });
      for (let i = 0; i < 3; i++) assert.equal((await runIn(first, 'true')).exitCode, 0);
      await first.dispose(); // the pool is empty: a batch is due
      const next = await executor.start({ spec, workspace, env: {} }); // … and a job starts before its first guard
      await turns(10);
      assert.equal(groups.added.length, 3, 'no guard started while a job runs');
      await next.dispose();
      await untilStarted(groups, 6);
      await turns(5);
      assert.equal(groups.added.length, 6, 'the pool filled to its size once no job ran');
    } finally {
      executor.close();
    }
  });

  it('gives a low pool one guard per job that ends while other jobs run, as before batches', async () => {
    const { groups, executor } = await filledPool(3, 2);
    try {
      const busy = await executor.start({ spec, workspace, env: {} });
      const ending = await executor.start({ spec, workspace, env: {} });
      for (let i = 0; i < 2; i++) assert.equal((await runIn(ending, 'true')).exitCode, 0);
      await ending.dispose(); // one parked, fewer than 2, and `busy` still runs
      await untilStarted(groups, 4);
      await turns(10);
      assert.equal(groups.added.length, 4, 'one guard, not a batch');
      await busy.dispose(); // two parked now: not low, nothing to start
      await turns(10);
      assert.equal(groups.added.length, 4);
    } finally {
      executor.close();
    }
  });

  it('sizes a drone\'s pool by its slots: batches of several jobs per slot, bounded in all', () => {
    assert.deepEqual(parkedPoolFor(1), { spares: 4, refillSparesBelow: 1 });
    assert.deepEqual(parkedPoolFor(2), { spares: 8, refillSparesBelow: 2 });
    assert.deepEqual(parkedPoolFor(4), { spares: 16, refillSparesBelow: 4 });
    assert.deepEqual(parkedPoolFor(8), { spares: 16, refillSparesBelow: 8 });
    assert.deepEqual(parkedPoolFor(20), { spares: 21, refillSparesBelow: 20 }, 'always one more than the slots');
  });

  it('starts directly what a parked guard cannot take: a variable that is no shell name, a long command, a dead guard', async () => {
    const groups = groupLog();
    const executor = new ProcessExecutor({ hostEnv, spares: 1, groupRecord: groups.record });
    const parked = groups.added[0]!;
    const odd = await executor.start({ spec, workspace, env: { 'npm_config_dash-name': 'kept' } });
    try {
      // (dash drops such a variable from what it passes on; another /bin/sh may not.)
      const r = await runIn(odd, 'echo $$');
      assert.equal(r.exitCode, 0, r.stderr);
      assert.notEqual(Number(r.stdout.trim()), parked, 'started directly, as before parked guards');
    } finally {
      await odd.dispose();
    }
    const session = await executor.start({ spec, workspace, env: {} });
    try {
      const long = `: ${'x'.repeat(70 * 1024)}; echo $$`;
      const r = await runIn(session, long);
      assert.equal(r.exitCode, 0, r.stderr);
      assert.notEqual(Number(r.stdout.trim()), parked, 'a long command starts directly');
      // The guard parked all along is killed from outside: it leaves the pool once the
      // drone hears of its exit (and is forgotten), and the next command must still run.
      process.kill(-parked, 'SIGKILL');
      while (!groups.removed.includes(parked)) await new Promise((resolve) => setImmediate(resolve));
      assert.equal(isAlive(parked), false);
      const after = await runIn(session, 'echo ran');
      assert.deepEqual([after.exitCode, after.stdout], [0, 'ran\n']);
    } finally {
      await session.dispose();
      executor.close();
    }
  });

  it('reports a missing workspace as a start failure, as a direct start does', async () => {
    const executor = new ProcessExecutor({ hostEnv, spares: 1 });
    const session = await executor.start({ spec, workspace: join(workspace, 'gone'), env: {} });
    try {
      const r = await runIn(session, 'true');
      assert.equal(r.exitCode, null);
      assert.match(r.error!, /^could not start: .*ENOENT/);
    } finally {
      await session.dispose();
      executor.close();
    }
  });
});
