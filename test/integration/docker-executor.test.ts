/**
 * The Docker executor under the real runner: real git checkouts, a real engine, images
 * built locally by scripts/docker-test-engine.sh. Skipped, with the reason, when no
 * engine answers.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { RepoCache } from '../../drone/checkout.ts';
import { pickHostEnv } from '../../drone/config.ts';
import { DockerExecutor } from '../../drone/executors/docker.ts';
import type { DockerExecutorOptions } from '../../drone/executors/docker.ts';
import type { Executor } from '../../drone/executors/executor.ts';
import type { StopReason } from '../../drone/runner.ts';
import type { CmdDoneEvent, JobEvent, JobSpec, PhaseName } from '../../common/protocol/index.ts';
import { BUSYBOX_IMAGE, dockerSkipReason, listLabelled, removeLabelled, testDocker } from '../helpers/docker-engine.ts';
import { createGitRepo } from '../helpers/git-repo.ts';
import { cmdDone, output, phaseStatuses, runJobForEvents } from '../helpers/run-job.ts';
import type { GitRepo } from '../helpers/git-repo.ts';

const skip = await dockerSkipReason();
const DRONE = `docker-executor-test-${process.pid}`;

let dataDir: string;
let repo: GitRepo;
let repos: RepoCache;
let executor: DockerExecutor;
let jobs = 0;

before(async () => {
  if (skip) return;
  dataDir = await mkdtemp(join(os.tmpdir(), 'hive-docker-executor-'));
  repo = await createGitRepo({ files: { 'hello.sh': 'echo "hello from $HIVE_PROJECT"\n', 'data.txt': 'checked out\n' } });
  repos = new RepoCache({ dataDir, hostEnv: pickHostEnv(process.env) });
  executor = newExecutor();
});
after(async () => {
  if (skip) return;
  await removeLabelled(DRONE);
  await repo.cleanup();
  await rm(dataDir, { recursive: true, force: true });
});

function newExecutor(options: Partial<DockerExecutorOptions> = {}): DockerExecutor {
  return new DockerExecutor({ docker: testDocker, droneName: DRONE, cacheRoot: join(dataDir, 'cache'), graceMs: 2_000, ...options });
}

function makeSpec(phases: Partial<Record<PhaseName, string[]>>, overrides: Partial<JobSpec> = {}): JobSpec {
  const all = { environment: [], prepare: [], test: [], deploy: [], cleanup: [], ...phases };
  return {
    jobId: `docker-job-${process.pid}-${++jobs}`,
    projectId: 'proj-1',
    projectName: 'demo',
    number: jobs,
    type: 'TEST',
    checkout: { repoUrl: repo.url, sha: repo.initialSha, branch: 'main' },
    image: BUSYBOX_IMAGE,
    container: { pull: 'never', privileged: false },
    env: {},
    secrets: {},
    phases: Object.fromEntries(Object.entries(all).map(([p, cmds]) => [p, cmds.map((run) => ({ run }))])) as JobSpec['phases'],
    timeoutMs: 60_000,
    requires: { labels: [], plugins: [] },
    ...overrides,
  };
}

interface RunOptions {
  signal?: AbortSignal;
  onEvent?: (event: JobEvent) => void;
  keepWorkspaces?: boolean;
  executor?: Executor;
}

const run = (spec: JobSpec, options: RunOptions = {}) =>
  runJobForEvents(spec, { ...options, executor: options.executor ?? executor, workspaces: repos, dataDir, cleanupTimeoutMs: 10_000 });

const logText = (events: JobEvent[]) => events.flatMap((e) => (e.type === 'job:log' ? [e.data] : [])).join('');
/** Aborts `controller` with `reason` once some stdout contains `marker` (the command is then surely running). */
function stopOnOutput(controller: AbortController, marker: string, reason: StopReason) {
  let seen = '';
  return (event: JobEvent) => {
    if (event.type !== 'job:cmd:stdout' || controller.signal.aborted) return;
    seen += event.data;
    if (seen.includes(marker)) controller.abort(reason);
  };
}

/** The job's container once the engine reports it running (the preparation starts it in the background). */
async function waitForContainer(jobId: string) {
  const events = await testDocker.getEvents({ filters: { type: ['container'], label: [`hive.job=${jobId}`], event: ['start'] } }) as NodeJS.ReadableStream & { destroy(): void };
  try {
    const listed = () => testDocker.listContainers({ filters: { label: [`hive.job=${jobId}`], status: ['running'] } });
    const now = await listed();
    if (now.length) return now;
    await new Promise((resolve) => events.once('data', resolve));
    return await listed();
  } finally {
    events.destroy();
  }
}

async function assertNothingLeft(jobId: string) {
  assert.deepEqual(await listLabelled({ job: jobId }), { containers: [], networks: [] }, 'no container or network of the job is left');
}

describe('runJob with the Docker executor', { skip, concurrency: true }, () => {
  it('runs each command in the job container, streaming stdout and stderr apart and in order, with exit codes', async () => {
    const spec = makeSpec({
      environment: ['echo "pwd=$(pwd) ws=$HIVE_WORKSPACE cache=$HIVE_CACHE_DIR greeting=$GREETING ci=$CI"; test -f /.dockerenv && echo in-docker'],
      test: [
        'sh hello.sh; cat data.txt',
        'echo out-1; echo err-1 >&2; echo out-2; echo err-2 >&2',
        'echo cached > "$HIVE_CACHE_DIR/marker"; test -d /workspace/.git',
      ],
      cleanup: ['echo bye'],
    }, { env: { GREETING: 'hi there' } });
    const { events, outcome } = await run(spec);
    assert.deepEqual(outcome, { status: 'passed' });
    assert.match(logText(events), /^Running in a container of hive-test\/busybox:latest$/m);
    assert.equal(output(events, 'job:cmd:stdout', 0), 'pwd=/workspace ws=/workspace cache=/hive-cache greeting=hi there ci=true\nin-docker\n');
    assert.equal(output(events, 'job:cmd:stdout', 1), 'hello from demo\nchecked out\n');
    assert.equal(output(events, 'job:cmd:stdout', 2), 'out-1\nout-2\n');
    assert.equal(output(events, 'job:cmd:stderr', 2), 'err-1\nerr-2\n');
    assert.equal(output(events, 'job:cmd:stdout', 4), 'bye\n');
    assert.deepEqual(events.filter((e) => e.type === 'job:cmd:done').map((e) => (e as CmdDoneEvent).exitCode), [0, 0, 0, 0, 0]);
    // The project cache is the drone's directory, kept after the job; the workspace is not.
    assert.ok((await stat(join(dataDir, 'cache', 'proj-1', 'marker'))).isFile());
    await assert.rejects(stat(repos.workspacePath(spec.jobId)));
    await assertNothingLeft(spec.jobId);
  });

  it('reports a failing command with its exit code, skips to cleanup and ends failed', async () => {
    const spec = makeSpec({ test: ['echo before', 'exit 3', 'echo never'], cleanup: ['echo cleaning'] });
    const { events, outcome } = await run(spec);
    assert.equal(outcome.status, 'failed');
    assert.match(outcome.message!, /"exit 3" \(test\) exited with code 3$/);
    assert.equal(cmdDone(events, 1)?.exitCode, 3);
    assert.equal(cmdDone(events, 1)?.error, undefined);
    assert.equal(output(events, 'job:cmd:stdout', 2), 'cleaning\n');
    assert.deepEqual(phaseStatuses(events), { environment: 'skipped', prepare: 'skipped', test: 'failed', deploy: 'skipped', cleanup: 'passed' });
    await assertNothingLeft(spec.jobId);
  });

  it('starts services on the job network, reachable by name, and removes them with the job', async () => {
    const spec = makeSpec({
      test: [
        // The job waits for its service as real jobs do (a database takes a moment too).
        'for i in $(seq 1 100); do wget -q -O - http://web:8080/ 2>/dev/null && exit 0; sleep 0.1; done; echo "service never answered" >&2; exit 1',
      ],
    }, {
      services: [{
        name: 'web',
        image: BUSYBOX_IMAGE,
        env: { ANSWER: 'hello from the service' },
        command: ['sh', '-c', 'mkdir -p /www && echo "$ANSWER" > /www/index.html && exec httpd -f -p 8080 -h /www'],
      }],
    });
    const { events, outcome } = await run(spec);
    assert.deepEqual(outcome, { status: 'passed' }, output(events, 'job:cmd:stderr'));
    assert.equal(output(events, 'job:cmd:stdout', 0), 'hello from the service\n');
    assert.match(logText(events), /^Started service web \(hive-test\/busybox:latest\)$/m);
    await assertNothingLeft(spec.jobId);
  });

  it('applies the memory and CPU limits and keeps privileged off', async () => {
    // The command holds the container up until the test has looked at it.
    const spec = makeSpec({ test: ['echo ready; while [ ! -f inspected ]; do sleep 0.05; done'] }, {
      container: { pull: 'never', privileged: false, memoryMb: 96, cpus: 0.5 },
    });
    let host: { Memory?: number; MemorySwap?: number; NanoCpus?: number; Privileged?: boolean } | undefined;
    let inspecting = false;
    const { events, outcome } = await run(spec, {
      onEvent: (e) => {
        if (e.type !== 'job:cmd:stdout' || inspecting) return;
        inspecting = true;
        void (async () => {
          const [info] = await testDocker.listContainers({ filters: { label: [`hive.job=${spec.jobId}`, 'hive.role=job'] } });
          host = (await testDocker.getContainer(info.Id).inspect()).HostConfig;
        })().finally(() => writeFile(join(repos.workspacePath(spec.jobId), 'inspected'), ''));
      },
    });
    assert.deepEqual(outcome, { status: 'passed' });
    assert.equal(host?.Memory, 96 * 1024 * 1024);
    assert.equal(host?.MemorySwap, 96 * 1024 * 1024, 'no swap beyond the limit');
    assert.equal(host?.NanoCpus, 500_000_000);
    assert.equal(host?.Privileged, false);
    assert.match(logText(events), /^Running in a container of hive-test\/busybox:latest \(memory 96 MiB, 0\.5 CPUs\)$/m);
  });

  it('reports a command killed for lack of memory as out of memory', async () => {
    // busybox tail keeps its whole input in memory: 200 MiB against a 48 MiB limit.
    const spec = makeSpec({ test: ['echo allocating; head -c 200m /dev/zero | tail > /dev/null'] }, {
      container: { pull: 'never', privileged: false, memoryMb: 48 },
    });
    const { events, outcome } = await run(spec);
    assert.equal(outcome.status, 'failed');
    const done = cmdDone(events, 0)!;
    assert.equal(done.exitCode, 137);
    assert.equal(done.error, 'killed: out of memory (limit 48 MiB)');
    assert.match(outcome.message!, /exited with code 137 \(killed: out of memory \(limit 48 MiB\)\)/);
    await assertNothingLeft(spec.jobId);
  });

  it('cancels: kills the running command, still runs cleanup, then removes container and network', async () => {
    const controller = new AbortController();
    const spec = makeSpec({ test: ['echo started; sleep 600; echo never'], cleanup: ['echo "cleanup ran in $(pwd)"'] }, {
      services: [{ name: 'idle', image: BUSYBOX_IMAGE, command: ['sleep', '600'] }],
    });
    const { events, outcome } = await run(spec, {
      signal: controller.signal,
      onEvent: stopOnOutput(controller, 'started', { status: 'cancelled', message: 'Cancelled by a test' }),
    });
    assert.deepEqual(outcome, { status: 'cancelled', message: 'Cancelled by a test' });
    assert.equal(output(events, 'job:cmd:stdout', 0), 'started\n', 'the sleep was cut short, not run out');
    const done = cmdDone(events, 0)!;
    assert.equal(done.exitCode, null);
    assert.equal(done.error, 'Cancelled by a test');
    assert.equal(output(events, 'job:cmd:stdout', 1), 'cleanup ran in /workspace\n');
    assert.deepEqual(phaseStatuses(events), { environment: 'skipped', prepare: 'skipped', test: 'cancelled', deploy: 'skipped', cleanup: 'passed' });
    await assertNothingLeft(spec.jobId);
  });

  it('times out: stops the container and removes it', async () => {
    const spec = makeSpec({ test: ['sleep 60'] }, { timeoutMs: 5_000 });
    const { events, outcome } = await run(spec);
    assert.deepEqual(outcome, { status: 'timed_out', message: 'Job exceeded its timeout of 5 s' });
    // On a loaded machine the timeout may strike while the container is still being set up.
    if (events.some((e) => e.type === 'job:cmd:start')) assert.equal(cmdDone(events, 0)?.exitCode, null);
    await assertNothingLeft(spec.jobId);
  });

  it('ends a job whose image is missing errored, with a clear message, and leaves nothing behind', async () => {
    const spec = makeSpec({ test: ['echo never'] }, { image: 'hive-test/missing:1', container: { pull: 'never', privileged: false } });
    const { events, outcome } = await run(spec);
    assert.equal(outcome.status, 'errored');
    assert.match(outcome.message!, /image "hive-test\/missing:1" is not available on this drone \(pull policy never\)/);
    assert.ok(!events.some((e) => e.type === 'job:cmd:start'));
    await assertNothingLeft(spec.jobId);
  });

  it('ends a job errored when its image (or a service image) cannot be pulled', async () => {
    // A registry on a closed local port: the pull fails at once, and nothing leaves the machine.
    const image = '127.0.0.1:9/hive-test/absent:1';
    const job = makeSpec({ test: ['echo never'] }, { image, container: { pull: 'if-not-present', privileged: false } });
    const service = makeSpec({ test: ['echo never'] }, {
      container: { pull: 'if-not-present', privileged: false },
      services: [{ name: 'db', image }],
    });
    for (const spec of [job, service]) {
      const { events, outcome } = await run(spec);
      assert.match(logText(events), /^Pulling image 127\.0\.0\.1:9\/hive-test\/absent:1 \(pull policy if-not-present\)$/m);
      assert.equal(outcome.status, 'errored');
      assert.match(outcome.message!, /image "127\.0\.0\.1:9\/hive-test\/absent:1" is not available on this drone: the pull failed: .+/);
      await assertNothingLeft(spec.jobId);
    }
  });

  it('hands files written by root in the workspace back to the drone user', async () => {
    const owner = { uid: 4242, gid: 4343 };
    const spec = makeSpec({ test: ['mkdir -p out/deep && echo x > out/deep/file && chmod 500 out/deep'] });
    const { outcome } = await run(spec, { keepWorkspaces: true, executor: newExecutor({ workspaceOwner: owner }) });
    assert.deepEqual(outcome, { status: 'passed' });
    const file = await stat(join(repos.workspacePath(spec.jobId), 'out', 'deep', 'file'));
    assert.deepEqual([file.uid, file.gid], [owner.uid, owner.gid]);
    await repos.removeWorkspace(spec.jobId);
  });

  it('puts a job without services on the default bridge: no network of its own', async () => {
    const spec = makeSpec({ test: ['echo ready; while [ ! -f inspected ]; do sleep 0.05; done'] });
    let seen: { networks: string[]; mode?: string } | undefined;
    let inspecting = false;
    const { outcome } = await run(spec, {
      onEvent: (e) => {
        if (e.type !== 'job:cmd:stdout' || inspecting) return;
        inspecting = true;
        void (async () => {
          const [info] = await testDocker.listContainers({ filters: { label: [`hive.job=${spec.jobId}`, 'hive.role=job'] } });
          const mode = (await testDocker.getContainer(info.Id).inspect()).HostConfig.NetworkMode;
          seen = { networks: (await listLabelled({ job: spec.jobId })).networks, mode };
        })().finally(() => writeFile(join(repos.workspacePath(spec.jobId), 'inspected'), ''));
      },
    });
    assert.deepEqual(outcome, { status: 'passed' });
    assert.deepEqual(seen, { networks: [], mode: 'default' });
    await assertNothingLeft(spec.jobId);
  });

  it('prepares beside the checkout: a container made for another workspace or environment is made again', async () => {
    const spec = makeSpec({ test: ['cat data.txt; echo "commit=$HIVE_COMMIT"'] });
    const checkout = await repos.checkout({ jobId: spec.jobId, checkout: spec.checkout });
    try {
      const preparation = executor.prepare({ spec, workspace: join(dataDir, 'elsewhere'), env: { HIVE_COMMIT: 'guessed' } });
      const session = await preparation.start({ spec, workspace: checkout.workspace, env: { HIVE_COMMIT: checkout.sha } });
      let out = '';
      const result = await session.run('cat data.txt; echo "commit=$HIVE_COMMIT"', {
        onStdout: (c) => (out += c), onStderr: () => {}, signal: new AbortController().signal,
      });
      assert.deepEqual(result, { exitCode: 0 });
      assert.equal(out, `checked out\ncommit=${checkout.sha}\n`);
      assert.equal((await listLabelled({ job: spec.jobId })).containers.length, 1, 'the guessed container is gone');
      await session.dispose();
    } finally {
      await repos.removeWorkspace(spec.jobId);
    }
    await assertNothingLeft(spec.jobId);
  });

  it('starts early in a workspace that exists already, and again when the checkout replaced the directory', async () => {
    const spec = makeSpec({ test: ['cat marker'] });
    const workspace = join(dataDir, `tree-${spec.jobId}`);
    await mkdir(workspace, { recursive: true });
    await writeFile(join(workspace, 'marker'), 'before\n');
    const env = { HIVE_COMMIT: 'c' };
    const preparation = executor.prepare({ spec, workspace, env });
    // The preparation starts the container on the directory as it is…
    const [info] = await waitForContainer(spec.jobId);
    assert.equal(info.State, 'running', 'started before the checkout ended');
    // …and the "checkout" replaces the directory: the container must see the new one.
    await rm(workspace, { recursive: true });
    await mkdir(workspace);
    await writeFile(join(workspace, 'marker'), 'after\n');
    const session = await preparation.start({ spec, workspace, env });
    let out = '';
    const result = await session.run('cat marker', { onStdout: (c) => (out += c), onStderr: () => {}, signal: new AbortController().signal });
    assert.deepEqual([result.exitCode, out], [0, 'after\n']);
    await session.dispose();
    await rm(workspace, { recursive: true, force: true });
    await assertNothingLeft(spec.jobId);
  });

  it('stops reading a command\'s output while its consumer is congested: the command waits, nothing is lost', async () => {
    const LINES = 3_000_000;
    const spec = makeSpec({ test: ['true'] });
    const checkout = await repos.checkout({ jobId: spec.jobId, checkout: spec.checkout });
    let congested = true;
    let resume: (() => void) | undefined;
    let session: Awaited<ReturnType<typeof executor.start>> | undefined;
    try {
      session = await executor.start({ spec, workspace: checkout.workspace, env: {} });
      let stdout = '';
      let stderr = '';
      // ~21 MB: more than the pipes and socket buffers between the command and the drone
      // can hold (with 2 MB, `seq` once finished into them without ever blocking, and the
      // wait below never ended).
      const pending = session.run(`seq 1 ${LINES}; echo done >&2`, {
        onStdout: (c) => (stdout += c),
        onStderr: (c) => (stderr += c),
        signal: new AbortController().signal,
        flow: { congested: () => congested, whenDrained: (r) => (resume = r) },
      });
      let ended = false;
      void pending.then(() => (ended = true));
      // Wait until `seq` in the container blocks writing its output (the engine's buffers full).
      const [info] = await testDocker.listContainers({ filters: { label: [`hive.job=${spec.jobId}`, 'hive.role=job'] } });
      // No event says so: the container's processes are looked at until `seq` sleeps in a
      // pipe write — for a minute at most, and then the test fails saying what it saw.
      const processes = async () => (await testDocker.getContainer(info.Id).top({ ps_args: '-o pid,wchan:40,args' })).Processes as string[][];
      // (busybox runs `seq` as an applet in the forked shell: its args stay `sh -c seq …`.)
      const blocked = (ps: string[][]) => ps.some((p) => (p.at(-1) ?? '').includes(`seq 1 ${LINES}`) && /pipe_write/.test(p[1] ?? ''));
      const deadline = Date.now() + 60_000;
      for (let ps = await processes(); !blocked(ps); ps = await processes()) {
        assert.equal(ended, false, 'the command ran to its end: its output was never held back');
        assert.ok(Date.now() < deadline, `seq never blocked writing its output (${stdout.length} bytes read; processes: ${JSON.stringify(ps)})`);
        await new Promise((r) => setTimeout(r, 20));
      }
      assert.ok(resume, 'it asked to be resumed');
      assert.ok(stdout.length < 1_000_000, `it stopped reading (${stdout.length} bytes read)`);
      congested = false;
      resume!();
      assert.deepEqual(await pending, { exitCode: 0 });
      assert.equal(stdout, `${Array.from({ length: LINES }, (_, i) => i + 1).join('\n')}\n`);
      assert.equal(stderr, 'done\n');
    } finally {
      // Also after a failure: the output flows again and the container goes, so that
      // nothing waits for the held command (a file whose test hung was killed at 600 s).
      if (congested) {
        congested = false;
        resume?.();
      }
      await session?.dispose();
      await repos.removeWorkspace(spec.jobId);
    }
    await assertNothingLeft(spec.jobId);
  });

  it('stop() ends the processes a job left in the background, before the container is removed', async () => {
    const spec = makeSpec({ test: ['true'] });
    const checkout = await repos.checkout({ jobId: spec.jobId, checkout: spec.checkout });
    try {
      const session = await executor.start({ spec, workspace: checkout.workspace, env: {} });
      try {
        const io = { onStdout: () => {}, onStderr: () => {}, signal: new AbortController().signal };
        assert.deepEqual(await session.run('(while :; do echo x >> bg.log; sleep 0.05; done) > /dev/null 2>&1 &', io), { exitCode: 0 });
        // stop() returns once they are gone, not only signalled (KILL_LEFT_PROCESSES).
        await session.stop!();
        const [info] = await testDocker.listContainers({ filters: { label: [`hive.job=${spec.jobId}`, 'hive.role=job'] } });
        const { Processes } = await testDocker.getContainer(info.Id).top({ ps_args: '-o pid,args' });
        const commands = (Processes as string[][]).map((p) => p.at(-1) ?? '');
        assert.ok(!commands.some((c) => /sleep 0\.05|bg\.log/.test(c)), `left running: ${commands.join('; ')}`);
      } finally {
        // Also when an assertion failed: a container left behind kept the test process alive.
        await session.dispose();
      }
    } finally {
      await repos.removeWorkspace(spec.jobId);
    }
    await assertNothingLeft(spec.jobId);
  });

  it('discards a preparation the job never used (the checkout failed) without leaving anything', async () => {
    const spec = makeSpec({ test: ['echo never'] }, {
      services: [{ name: 'idle', image: BUSYBOX_IMAGE, command: ['sleep', '600'] }],
    });
    const preparation = executor.prepare({ spec, workspace: join(dataDir, 'never'), env: {} });
    await preparation.discard();
    await assertNothingLeft(spec.jobId);
    // And a checkout that fails in the runner discards what was prepared beside it.
    const broken = makeSpec({ test: ['echo never'] }, { checkout: { repoUrl: repo.url, sha: 'f'.repeat(40), branch: 'main' } });
    const { outcome } = await run(broken);
    assert.equal(outcome.status, 'errored');
    await assertNothingLeft(broken.jobId);
  });

  it('refuses a job without an image when the drone runs every job in Docker', async () => {
    const spec = makeSpec({ test: ['echo never'] }, { image: undefined, container: undefined });
    const { outcome } = await run(spec);
    assert.equal(outcome.status, 'errored');
    assert.match(outcome.message!, /the job has no image/);
  });
});
