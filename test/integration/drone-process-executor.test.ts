import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ProcessExecutor } from '../../drone/executors/process.ts';
import { isAlive } from '../helpers/processes.ts';
import type { CommandResult, ExecSession } from '../../drone/executors/executor.ts';
import type { JobSpec } from '../../common/protocol/index.ts';

let workspace: string;
const spec = { jobId: 'j' } as JobSpec;

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



describe('ProcessExecutor', () => {
  it('runs commands with sh in the workspace, with only the job env and whitelisted host vars', async () => {
    const executor = new ProcessExecutor({ hostEnv: { PATH: process.env.PATH!, HOME: '/home/builder' } });
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
    const executor = new ProcessExecutor({ hostEnv: { PATH: process.env.PATH! }, cacheRoot });
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
    const session = await new ProcessExecutor({ hostEnv: { PATH: process.env.PATH! } }).start({ spec, workspace, env: {} });
    assert.equal((await runIn(session, 'exit 7')).exitCode, 7);
    const killed = await runIn(session, 'kill -KILL $$');
    assert.deepEqual([killed.exitCode, killed.signal, killed.error], [null, 'SIGKILL', 'killed by SIGKILL']);
    await session.dispose();
  });

  it('reports a command that cannot start', async () => {
    const session = await new ProcessExecutor({ hostEnv: { PATH: process.env.PATH! } })
      .start({ spec, workspace: join(workspace, 'does-not-exist'), env: {} });
    const r = await runIn(session, 'true');
    assert.equal(r.exitCode, null);
    assert.equal(r.signal, undefined);
    assert.match(r.error!, /^could not start: .*ENOENT/);
    await session.dispose();
  });

  it('starts the command\'s shell by its path, whatever PATH the job sets', async () => {
    const session = await new ProcessExecutor({ hostEnv: { PATH: process.env.PATH! } })
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
    const session = await new ProcessExecutor({ hostEnv: { PATH: process.env.PATH! }, closeWaitMs: 100 })
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

  it('on abort kills the whole process group, even children that ignore SIGTERM', async () => {
    const session = await new ProcessExecutor({ hostEnv: { PATH: process.env.PATH! }, killGraceMs: 200, closeWaitMs: 5_000 })
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
    for (const m of seen.matchAll(/(?:stubborn|child) (\d+)/g)) assert.equal(isAlive(Number(m[1])), false, `pid ${m[1]} survived`);
    await session.dispose();
  });
});
