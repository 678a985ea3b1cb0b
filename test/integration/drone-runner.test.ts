import assert from 'node:assert/strict';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { RepoCache } from '../../drone/checkout.ts';
import { pickHostEnv } from '../../drone/config.ts';
import { ProcessExecutor } from '../../drone/executors/process.ts';
import type { StopReason } from '../../drone/runner.ts';
import { MASK } from '../../drone/secret-masker.ts';
import type { JobEvent, JobSpec, PhaseName, SpecCommand } from '../../common/protocol/index.ts';
import { createGitRepo } from '../helpers/git-repo.ts';
import { isAlive } from '../helpers/processes.ts';
import { cmdDone, output, phaseStatuses, runJobForEvents } from '../helpers/run-job.ts';
import type { GitRepo } from '../helpers/git-repo.ts';

let dataDir: string;
let repo: GitRepo;
let repos: RepoCache;
const executor = new ProcessExecutor({ hostEnv: pickHostEnv(process.env), killGraceMs: 1_000 });
let jobs = 0;

before(async () => {
  dataDir = await mkdtemp(join(os.tmpdir(), 'hive-drone-runner-'));
  repo = await createGitRepo({ files: { 'hello.sh': '#!/bin/sh\necho "hello from $HIVE_PROJECT"\n' } });
  repos = new RepoCache({ dataDir, hostEnv: pickHostEnv(process.env) });
});
after(async () => {
  await repo.cleanup();
  await rm(dataDir, { recursive: true, force: true });
});

type Phases = Partial<Record<PhaseName, (string | SpecCommand)[]>>;

function makeSpec(phases: Phases, overrides: Partial<JobSpec> = {}): JobSpec {
  const jobId = `job-${++jobs}`;
  const all = { environment: [], prepare: [], test: [], deploy: [], cleanup: [], ...phases };
  return {
    jobId,
    projectId: 'p1',
    projectName: 'demo',
    number: jobs,
    type: 'TEST',
    checkout: { repoUrl: repo.url, sha: repo.initialSha, branch: 'main' },
    env: {},
    secrets: {},
    phases: Object.fromEntries(
      Object.entries(all).map(([p, cmds]) => [p, cmds.map((c) => (typeof c === 'string' ? { run: c } : c))]),
    ) as JobSpec['phases'],
    timeoutMs: 60_000,
    requires: { labels: [], plugins: [] },
    ...overrides,
  };
}

const run = (spec: JobSpec, options: { signal?: AbortSignal; onEvent?: (e: JobEvent) => void; keepWorkspaces?: boolean } = {}) =>
  runJobForEvents(spec, { ...options, executor, workspaces: repos, dataDir });

const types = (events: JobEvent[]) => events.map((e) => e.type);


describe('runJob with the process executor', { concurrency: true }, () => {
  it('reports a passing job as an exact, gapless sequence of events', async () => {
    const spec = makeSpec({
      environment: ['echo "env $CI $HIVE $HIVE_JOB_ID $HIVE_JOB_NUMBER $HIVE_BRANCH $HIVE_JOB_TYPE $HIVE_COMMIT $GREETING"'],
      test: ['./hello.sh', { run: 'echo oops >&2', display: 'complain' }],
      deploy: ['echo deploying'],
      cleanup: ['echo bye'],
    }, { env: { GREETING: 'hi' } });
    const { events, outcome } = await run(spec);
    assert.deepEqual(outcome, { status: 'passed' });
    assert.deepEqual(types(events), [
      'job:started',
      'job:log', 'job:log', 'job:log',
      'job:cmd:start', 'job:cmd:stdout', 'job:cmd:done', 'job:phase:done',
      'job:phase:done',
      'job:cmd:start', 'job:cmd:stdout', 'job:cmd:done', 'job:cmd:start', 'job:cmd:stderr', 'job:cmd:done', 'job:phase:done',
      'job:phase:done',
      'job:cmd:start', 'job:cmd:stdout', 'job:cmd:done', 'job:phase:done',
      'job:done',
    ]);
    assert.deepEqual(events.map((e) => e.seq), events.map((_, i) => i + 1));
    assert.ok(events.every((e) => e.jobId === spec.jobId && e.lease === 'lease-1'));
    assert.deepEqual(phaseStatuses(events), { environment: 'passed', prepare: 'skipped', test: 'passed', deploy: 'skipped', cleanup: 'passed' });
    const starts = events.filter((e) => e.type === 'job:cmd:start');
    assert.deepEqual(starts.map((e) => [e.cmd, e.phase, e.command]), [
      [0, 'environment', spec.phases.environment[0].run], [1, 'test', './hello.sh'], [2, 'test', 'complain'], [3, 'cleanup', 'echo bye'],
    ]);
    assert.equal(
      output(events, 'job:cmd:stdout', 0),
      `env true true ${spec.jobId} ${spec.number} main TEST ${repo.initialSha} hi\n`,
    );
    assert.equal(output(events, 'job:cmd:stdout', 1), 'hello from demo\n');
    const done = events.filter((e) => e.type === 'job:cmd:done');
    assert.deepEqual(done.map((e) => e.exitCode), [0, 0, 0, 0]);
    assert.match((events[1] as { data: string }).data, /^Fetching /);
    assert.match((events[3] as { data: string }).data, new RegExp(`^Checked out ${repo.initialSha.slice(0, 7)}`));
    await assert.rejects(stat(repos.workspacePath(spec.jobId)), 'workspace removed');
  });

  it('skips to cleanup after a failing command and ends failed', async () => {
    const spec = makeSpec({
      prepare: ['echo prepared'],
      test: ['echo before', 'exit 3', 'echo never'],
      deploy: ['echo deploying'],
      cleanup: ['echo cleaning', 'false', 'echo still cleaning'],
    }, { type: 'TEST_AND_DEPLOY' });
    const { events, outcome } = await run(spec);
    assert.equal(outcome.status, 'failed');
    assert.equal(outcome.message, 'Command "exit 3" (test) exited with code 3');
    assert.deepEqual(phaseStatuses(events), { environment: 'skipped', prepare: 'passed', test: 'failed', deploy: 'skipped', cleanup: 'failed' });
    const commands = events.flatMap((e) => (e.type === 'job:cmd:start' ? [e.command] : []));
    assert.deepEqual(commands, ['echo prepared', 'echo before', 'exit 3', 'echo cleaning', 'false', 'echo still cleaning']);
    const exit = cmdDone(events, 2);
    assert.deepEqual(exit && { exitCode: exit.exitCode, error: exit.error }, { exitCode: 3, error: undefined });
    assert.equal(events.at(-1)!.type, 'job:done');
  });

  it('keeps stdout and stderr apart', async () => {
    const { events } = await run(makeSpec({ test: ['echo out1; echo err1 >&2; echo out2; echo err2 >&2'] }));
    assert.equal(output(events, 'job:cmd:stdout'), 'out1\nout2\n');
    assert.equal(output(events, 'job:cmd:stderr'), 'err1\nerr2\n');
  });

  it('passes output on as its bytes: characters split over reads arrive whole, invalid bytes as U+FFFD', async () => {
    // Each character split over two writes with a pause, so over two reads of the drone.
    const { events } = await run(makeSpec({
      test: [
        `printf 'h\\303'; sleep 0.05; printf '\\251llo \\360\\237'; sleep 0.05; printf '\\220\\235 ok\\n'`,
        `printf 'bad \\377 \\200 \\342\\202'; sleep 0.05; printf 'A end \\342\\202'`,
      ],
    }));
    assert.equal(output(events, 'job:cmd:stdout', 0), 'héllo 🐝 ok\n');
    assert.equal(output(events, 'job:cmd:stdout', 1), 'bad \ufffd \ufffd \ufffdA end \ufffd', 'as the whole output decodes');
    assert.equal(output(events, 'job:cmd:stdout', 1), Buffer.from([...Buffer.from('bad '), 0xff, 0x20, 0x80, 0x20, 0xe2, 0x82, ...Buffer.from('A end '), 0xe2, 0x82]).toString('utf8'));
  });

  it('masks secrets in output, in command text and across output chunks', async () => {
    const secret = 'sup3r-s3cret-value';
    const spec = makeSpec({
      test: [
        'echo "token is $API_TOKEN"',
        // Split the secret over two writes with a pause, so it spans two reads.
        { run: `printf 'sup3r-s3'; sleep 0.05; printf 'cret-value done\\n'`, display: 'print it in two pieces' },
        `echo ${secret} | wc -c`,
      ],
    }, { secrets: { API_TOKEN: secret } });
    const { events, outcome } = await run(spec);
    assert.equal(outcome.status, 'passed');
    const everything = JSON.stringify(events);
    assert.ok(!everything.includes(secret), 'the secret leaked');
    assert.ok(!everything.includes('sup3r-s3'), 'part of the secret leaked');
    assert.equal(output(events, 'job:cmd:stdout', 0), `token is ${MASK}\n`);
    assert.equal(output(events, 'job:cmd:stdout', 1), `${MASK} done\n`);
    const shown = events.find((e) => e.type === 'job:cmd:start' && e.cmd === 2);
    assert.equal(shown && 'command' in shown && shown.command, `echo ${MASK} | wc -c`);
  });

  it('masks the project\'s registry passwords too, though no command is given them', async () => {
    const password = 'registry-pa55word-value';
    const spec = makeSpec({ test: [`echo "leaked: ${password}"`] }, { registryLogins: [{ registry: 'ghcr.io', username: 'ci', password }] });
    const { events, outcome } = await run(spec);
    assert.equal(outcome.status, 'passed');
    assert.ok(!JSON.stringify(events).includes(password));
    assert.equal(output(events, 'job:cmd:stdout', 0), `leaked: ${MASK}\n`);
  });

  it('cancel kills the command and everything it started, then runs cleanup', async () => {
    const controller = new AbortController();
    const pids: number[] = [];
    const spec = makeSpec({
      test: ['sleep 100 & echo "child $!"; sleep 100 & echo "child $!"; wait', 'echo never'],
      cleanup: ['echo cleaned'],
    });
    const { events, outcome } = await run(spec, {
      signal: controller.signal,
      onEvent: (e) => {
        if (e.type !== 'job:cmd:stdout') return;
        for (const m of e.data.matchAll(/child (\d+)/g)) pids.push(Number(m[1]));
        if (pids.length === 2) controller.abort({ status: 'cancelled', message: 'Cancelled by alice' } satisfies StopReason);
      },
    });
    assert.deepEqual(outcome, { status: 'cancelled', message: 'Cancelled by alice' });
    assert.equal(pids.length, 2);
    for (const pid of pids) assert.equal(isAlive(pid), false, `child ${pid} survived the cancel`);
    assert.deepEqual(phaseStatuses(events), { environment: 'skipped', prepare: 'skipped', test: 'cancelled', deploy: 'skipped', cleanup: 'passed' });
    const killed = cmdDone(events, 0);
    assert.deepEqual(killed && { exitCode: killed.exitCode, error: killed.error }, { exitCode: null, error: 'Cancelled by alice' });
    assert.equal(output(events, 'job:cmd:stdout', 1), 'cleaned\n');
    assert.deepEqual(events.at(-1), { ...events.at(-1), type: 'job:done', status: 'cancelled', message: 'Cancelled by alice' });
  });

  it('ends timed_out when the job exceeds its timeout', async () => {
    // The timeout counts from the job's start, checkout included: a repository of its own
    // keeps this job from queueing behind the other tests' checkouts of the shared one, and
    // the limit leaves a loaded machine seconds for the checkout before `echo` must run.
    const own = await createGitRepo();
    const spec = makeSpec({ test: ['echo started; sleep 100'], cleanup: ['echo cleaned'] }, {
      timeoutMs: 6_000,
      checkout: { repoUrl: own.url, sha: own.initialSha, branch: 'main' },
    });
    const { events, outcome } = await run(spec).finally(() => own.cleanup());
    assert.deepEqual(outcome, { status: 'timed_out', message: 'Job exceeded its timeout of 6 s' });
    assert.equal(output(events, 'job:cmd:stdout', 0), 'started\n');
    assert.equal(phaseStatuses(events).test, 'timed_out');
    assert.equal(phaseStatuses(events).cleanup, 'passed');
    assert.equal(cmdDone(events, 0)?.exitCode, null);
    assert.equal(cmdDone(events, 0)?.error, 'Job exceeded its timeout of 6 s');
  });

  it('runs deploy only for TEST_AND_DEPLOY and DEPLOY jobs', async () => {
    const phases = { test: ['echo testing'], deploy: ['echo deploying'] };
    const [test, testAndDeploy, deploy] = await Promise.all([
      run(makeSpec(phases, { type: 'TEST' })),
      run(makeSpec(phases, { type: 'TEST_AND_DEPLOY' })),
      run(makeSpec(phases, { type: 'DEPLOY' })),
    ]);
    assert.deepEqual([phaseStatuses(test.events).test, phaseStatuses(test.events).deploy], ['passed', 'skipped']);
    assert.deepEqual([phaseStatuses(testAndDeploy.events).test, phaseStatuses(testAndDeploy.events).deploy], ['passed', 'passed']);
    assert.deepEqual([phaseStatuses(deploy.events).test, phaseStatuses(deploy.events).deploy], ['skipped', 'passed']);
    assert.equal(output(testAndDeploy.events, 'job:cmd:stdout'), 'testing\ndeploying\n');
  });

  it('ends errored with a clear message when the checkout fails', async () => {
    const missing = 'abcdef1234'.repeat(4);
    const spec = makeSpec({ test: ['echo never'], cleanup: ['echo no workspace'] }, { checkout: { repoUrl: repo.url, sha: missing, branch: 'main' } });
    const { events, outcome } = await run(spec);
    assert.equal(outcome.status, 'errored');
    assert.match(outcome.message!, new RegExp(`^Checkout failed: commit ${missing} not found in `));
    assert.ok(!events.some((e) => e.type === 'job:cmd:start'));
    assert.deepEqual(Object.values(phaseStatuses(events)), ['skipped', 'skipped', 'skipped', 'skipped', 'skipped']);
    const logged = events.filter((e) => e.type === 'job:log').map((e) => (e as { data: string }).data).join('');
    assert.match(logged, /Checkout failed: commit/);
  });

  it('keeps the workspace when asked to', async () => {
    const spec = makeSpec({ test: ['touch built.txt'] });
    await run(spec, { keepWorkspaces: true });
    assert.ok((await stat(join(repos.workspacePath(spec.jobId), 'built.txt'))).isFile());
    await repos.removeWorkspace(spec.jobId);
  });
});
