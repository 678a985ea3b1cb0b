/**
 * Hive as a user installs it: `npm pack` in the repository, the tarball installed into an
 * empty directory, a queen and a separate drone started from that installed copy (compiled
 * JavaScript only: no tsx, no esbuild installed), a plugin installed with `npm install
 * <folder>` (npm links it; the folder is elsewhere and has no node_modules) that imports
 * `hive-ci/plugin`, and a real build on that drone that runs the plugin's command.
 *
 * Runs once, on the embedded database: the package is the subject, not the database.
 */
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { after, it } from 'node:test';
import { createGitRepo, type GitRepo } from '../helpers/git-repo.ts';
import { freePort } from '../helpers/free-port.ts';

const exec = promisify(execFile);
const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const npmFlags = ['--no-audit', '--no-fund', '--prefer-offline'];
// Installing, dependencies' own install scripts are skipped: they are optional native
// builds (ssh2 and cpu-features, under dockerode) that Hive runs without, and compiling
// them took most of this test's time. Hive itself has none (prepare runs only in a clone).
const installFlags = [...npmFlags, '--ignore-scripts'];

const npmMissing = await exec('npm', ['--version']).then(() => false, (err: Error) => `npm pack cannot run here: ${err.message}`);
const skip = npmMissing || (process.env.TEST_DATABASE_URL ? 'the package is tested once, on the embedded database' : false);

let tmp: string | undefined;
let repo: GitRepo | undefined;
const running: ChildProcess[] = [];

after(async () => {
  for (const p of running) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
  await repo?.cleanup();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

/** Starts a command and resolves with everything it printed once `ready` matches it. */
function startUntil(command: string, args: string[], options: { cwd: string; env: Record<string, string> }, ready: RegExp): Promise<{ child: ChildProcess; output: () => string }> {
  const child = spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
  running.push(child);
  let out = '';
  return new Promise((resolve, reject) => {
    const onData = (d: Buffer) => {
      out += d;
      if (ready.test(out)) resolve({ child, output: () => out });
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`${args.join(' ')} exited with ${code}:\n${out}`)));
  });
}

const PLUGIN_PACKAGE = {
  name: 'hive-plugin-greet',
  version: '2.3.4',
  type: 'module',
  exports: './index.js',
  peerDependencies: { 'hive-ci': '>=0.1.0' },
};
const PLUGIN_SOURCE = `import { definePlugin, z } from 'hive-ci/plugin';

export default definePlugin({
  name: 'hive-plugin-greet',
  version: '2.3.4',
  description: 'Greets in the test phase',
  configSchema: z.object({ greeting: z.string().min(1).default('hello') }),
  phases: ({ config }) => ({ commands: { test: [\`echo "\${config.greeting} from the installed plugin"\`] } }),
});
`;

it('installs from its tarball and runs a queen, a drone and a plugin from there', { skip, timeout: 240_000 }, async (t) => {
  const started = Date.now();
  const step = (what: string) => t.diagnostic(`${((Date.now() - started) / 1000).toFixed(1)} s: ${what}`);
  tmp = await mkdtemp(join(tmpdir(), 'hive-package-'));
  const packDir = join(tmp, 'pack');
  const install = join(tmp, 'install');
  const pluginDir = join(tmp, 'plugin-src', 'hive-plugin-greet');
  await Promise.all([mkdir(packDir), mkdir(install), mkdir(pluginDir, { recursive: true })]);

  // `npm pack` builds dist/ first (prepare), so the tarball holds what the sources say now.
  await exec('npm', ['pack', '--pack-destination', packDir, ...npmFlags], { cwd: repoRoot, maxBuffer: 64 * 1024 * 1024 });
  step('packed');
  const [tarball] = await readdir(packDir);
  assert.match(tarball, /^hive-ci-\d+\.\d+\.\d+.*\.tgz$/);

  await writeFile(join(install, 'package.json'), JSON.stringify({ name: 'my-ci', private: true }));
  await exec('npm', ['install', ...installFlags, join(packDir, tarball)], { cwd: install });
  step('tarball installed');
  await writeFile(join(pluginDir, 'package.json'), JSON.stringify(PLUGIN_PACKAGE));
  await writeFile(join(pluginDir, 'index.js'), PLUGIN_SOURCE);
  await exec('npm', ['install', ...installFlags, '../plugin-src/hive-plugin-greet'], { cwd: install });
  assert.ok(!existsSync(join(install, 'node_modules/tsx')), 'tsx is not installed with Hive');
  assert.ok(!existsSync(join(install, 'node_modules/esbuild')), 'esbuild is not installed with Hive');
  assert.ok(!existsSync(join(pluginDir, 'node_modules')), 'the linked plugin has no node_modules of its own');

  const hive = join(install, 'node_modules/.bin/hive');
  const env = { PATH: `${dirname(process.execPath)}${delimiter}${process.env.PATH}`, HOME: process.env.HOME ?? tmp };
  const port = await freePort();
  const queen = await startUntil(hive, ['queen'], {
    cwd: install,
    env: { ...env, HIVE_DATA_DIR: join(tmp, 'data'), HIVE_PORT: String(port), HIVE_HOST: '127.0.0.1', HIVE_PLUGINS: 'hive-plugin-greet' },
  }, /^(?=[\s\S]*Generated drone token[^\n]*\n)(?=[\s\S]*"plugin":"hive-plugin-greet")/); // the banner, and the log (written asynchronously)
  step('queen started');
  const adminToken = /Generated admin token \(shown once, store it now\): (\S+)/.exec(queen.output())![1];
  const droneToken = /Generated drone token \(shown once, store it now\): (\S+)/.exec(queen.output())![1];
  assert.match(queen.output(), /"plugin":"hive-plugin-greet","version":"2\.3\.4","builtIn":false,"msg":"plugin loaded"/);

  await startUntil(hive, ['drone', '--queen', `ws://127.0.0.1:${port}`, '--token', droneToken, '--name', 'installed-drone', '--capacity', '1', '--executor', 'process', '--data-dir', join(tmp, 'drone')], { cwd: install, env }, /welcomed by the queen/);
  step('drone connected');

  const api = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`http://127.0.0.1:${port}${path}`, {
      method, headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    assert.ok(res.ok, `${method} ${path} → ${res.status}: ${text}`);
    return text.startsWith('{') ? JSON.parse(text) : text;
  };
  repo = await createGitRepo({ files: { 'README.md': '# greeted\n' } });
  const project = await api('POST', '/api/projects', { name: 'greeted', repoUrl: repo.url, plugins: [{ name: 'hive-plugin-greet', config: { greeting: 'bonjour' } }] });
  const { id } = await api('POST', `/api/projects/${project.id}/jobs`, {});
  let job: { status: string; message?: string; drone?: { name: string } };
  for (const deadline = Date.now() + 60_000; ;) {
    job = await api('GET', `/api/jobs/${id}`);
    if (['passed', 'failed', 'errored', 'cancelled', 'timed_out'].includes(job.status)) break;
    assert.ok(Date.now() < deadline, `job still ${job.status} after a minute:\n${queen.output()}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  step('built');
  assert.equal(job.status, 'passed', job.message);
  assert.equal(job.drone?.name, 'installed-drone');
  assert.match(await api('GET', `/api/jobs/${id}/log`), /bonjour from the installed plugin/);
});
