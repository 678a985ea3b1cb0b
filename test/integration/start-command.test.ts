/**
 * The README's first command, as a user runs it: `hive start` (what `npm start` runs)
 * starts the queen on its embedded database with a local drone, prints the tokens once,
 * builds a real repository, stops cleanly, and starts again on the same data.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, it } from 'node:test';
import { createGitRepo, type GitRepo } from '../helpers/git-repo.ts';
import { freePort } from '../helpers/free-port.ts';
import { hiveCommandArgs } from '../helpers/built-hive.ts';

let dataDir: string;
let repo: GitRepo;
const running: ChildProcess[] = [];

after(async () => {
  for (const p of running) if (p.exitCode === null) p.kill('SIGKILL');
  await repo?.cleanup();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

/** Starts `hive start` and resolves once its banner is printed, with everything printed so far. */
function start(port: number): Promise<{ child: ChildProcess; output: () => string }> {
  const child = spawn(process.execPath, [...hiveCommandArgs, 'start'], {
    env: { PATH: process.env.PATH, HOME: process.env.HOME, HIVE_DATA_DIR: dataDir, HIVE_PORT: String(port), HIVE_HOST: '127.0.0.1', HIVE_LOCAL_DRONE_CAPACITY: '2' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.push(child);
  let out = '';
  return new Promise((resolve, reject) => {
    const onData = (d: Buffer) => {
      out += d;
      if (/Hive is running at/.test(out)) resolve({ child, output: () => out });
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (d) => (out += d));
    child.once('exit', (code) => reject(new Error(`hive start exited with ${code}:\n${out}`)));
  });
}

async function stop(child: ChildProcess): Promise<number | null> {
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  child.kill('SIGTERM');
  return exited;
}

it('runs the queen with its embedded database and a local drone, and builds', async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'hive-start-'));
  repo = await createGitRepo({ files: { '.hive.yml': 'phases:\n  test: echo "built by the local drone"\n' } });
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;

  const first = await start(port);
  const token = /Generated admin token \(shown once, store it now\): (\S+)/.exec(first.output())?.[1];
  assert.ok(token, `no admin token printed:\n${first.output()}`);
  assert.match(first.output(), /Generated drone token/);
  const api = (path: string, init: RequestInit = {}) =>
    fetch(`${base}${path}`, { ...init, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' } });

  const project = await (await api('/api/projects', { method: 'POST', body: JSON.stringify({ name: 'local', repoUrl: repo.url }) })).json();
  const job = await (await api(`/api/projects/${project.id}/jobs`, { method: 'POST', body: '{}' })).json();
  // Follow the job over the events socket until it ends, as the CLI would.
  const { WebSocket } = await import('ws');
  const ws = new WebSocket(`ws://127.0.0.1:${port}/api/events`, { headers: { authorization: `Bearer ${token}` } });
  const final = await new Promise<any>((resolve, reject) => {
    ws.on('open', () => ws.send(JSON.stringify({ type: 'subscribe', jobId: job.id })));
    ws.on('message', (raw) => {
      const m = JSON.parse(raw.toString());
      if (m.type === 'job' && ['passed', 'failed', 'errored', 'cancelled', 'timed_out'].includes(m.job.status)) resolve(m.job);
    });
    ws.on('error', reject);
  });
  ws.close();
  assert.equal(final.status, 'passed', final.message);
  assert.equal(final.drone.name, 'local');
  assert.match(await (await api(`/api/jobs/${job.id}/log`)).text(), /built by the local drone/);
  assert.equal(await stop(first.child), 0, 'stops cleanly on SIGTERM');

  // A second start on the same data: no new tokens, the old token still works, the job is still there.
  const second = await start(port);
  assert.doesNotMatch(second.output(), /Generated admin token/);
  const again = await api(`/api/jobs/${job.id}`);
  assert.equal(again.status, 200);
  assert.equal((await again.json()).status, 'passed');
  assert.equal(await stop(second.child), 0);
});
