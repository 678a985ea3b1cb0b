/**
 * Hive's own images (docker/queen.Dockerfile, docker/drone.Dockerfile), built from a freshly
 * packed tarball and run as a user runs them: a queen container and a drone container on a
 * network of their own, the drone finding the queen by its container name, a build through
 * the API that passes on the drone (as the unprivileged `node` user, with the image's git),
 * and the queen's HEALTHCHECK answering.
 *
 * No registry is reachable here, so two things stand in for it, the Dockerfiles unchanged:
 * the base image is hive-test/node-slim:20 (scripts/docker-test-engine.sh: node, npm, git,
 * the `node` user — what the images use of node:20-slim), and the tarball carries its
 * dependencies (`bundleDependencies`, installed on this machine from the lockfile), so the
 * image's `npm install --global` needs no network. The bundled tarball is kept in the temp
 * dir by a hash of the packed one and the lockfile, and the two Dockerfiles share their
 * layers, so an unchanged Hive builds both images from Docker's cache in seconds.
 *
 * Skipped, with the reason, without a Docker engine (or its `docker` command, or the base
 * image); run once, on the embedded database.
 */
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readFile, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { after, it } from 'node:test';
import { dockerSkipReason } from '../helpers/docker-engine.ts';
import { openEventsClient } from '../helpers/events-client.ts';
import { createGitRepo, type GitRepo } from '../helpers/git-repo.ts';

const exec = promisify(execFile);
const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const BASE_IMAGE = 'hive-test/node-slim:20';
const QUEEN_IMAGE = 'hive-test/hive-queen:test';
const DRONE_IMAGE = 'hive-test/hive-drone:test';
const ADMIN_TOKEN = 'images-admin-token-0123456789';
const DRONE_TOKEN = 'images-drone-token-0123456789';
const suffix = `${process.pid}`;
const network = `hive-images-${suffix}`;
const queenName = `hive-images-queen-${suffix}`;
const droneName = `hive-images-drone-${suffix}`;
const npmFlags = ['--no-audit', '--no-fund', '--prefer-offline', '--no-update-notifier'];

const docker = (args: string[]) => exec('docker', args, { maxBuffer: 64 * 1024 * 1024 });
const dockerCliMissing = await docker(['version', '--format', '{{.Server.Version}}']).then(() => false, (err: Error) => `the docker command cannot reach an engine: ${err.message.split('\n')[0]}`);
const skip = process.env.TEST_DATABASE_URL
  ? 'the images are tested once, on the embedded database'
  : (await dockerSkipReason([BASE_IMAGE])) ?? dockerCliMissing;

let tmp: string | undefined;
let repo: GitRepo | undefined;
const followers: ChildProcess[] = [];

after(async () => {
  for (const f of followers) f.kill();
  if (!skip) {
    await docker(['rm', '--force', queenName, droneName]).catch(() => {});
    await docker(['network', 'rm', network]).catch(() => {});
  }
  await repo?.cleanup();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

/** Removes earlier versions of a temp-dir cache — but not one made just now by a run beside this one. */
async function pruneOlder(pattern: RegExp, keep: string): Promise<void> {
  for (const name of (await readdir(tmpdir())).filter((f) => pattern.test(f))) {
    const path = join(tmpdir(), name);
    if (path !== keep && Date.now() - (await stat(path)).mtimeMs > 10 * 60_000) await rm(path, { recursive: true, force: true });
  }
}

/**
 * Hive's run-time dependencies as `npm ci --omit=dev` installs them from the lockfile: a
 * folder with their node_modules, kept in the temp dir by the lockfile's and package.json's
 * hash (they change far less often than Hive does).
 */
async function runtimeDependencies(packed: string, work: string): Promise<string> {
  const key = createHash('sha256').update(await readFile(join(repoRoot, 'package-lock.json'))).update(await readFile(join(repoRoot, 'package.json'))).digest('hex').slice(0, 16);
  const cached = join(tmpdir(), `hive-test-deps-${key}`);
  if (existsSync(join(cached, 'node_modules'))) return cached;
  const stage = join(work, 'deps');
  await mkdir(stage);
  await exec('tar', ['-xzf', packed, '-C', stage]);
  await copyFile(join(repoRoot, 'package-lock.json'), join(stage, 'package', 'package-lock.json'));
  await exec('npm', ['ci', '--omit=dev', '--ignore-scripts', ...npmFlags], { cwd: join(stage, 'package'), maxBuffer: 64 * 1024 * 1024 });
  await rename(join(stage, 'package'), cached).catch((err: NodeJS.ErrnoException) => {
    if (!existsSync(join(cached, 'node_modules'))) throw err; // else a run beside this one was first
  });
  await pruneOlder(/^hive-test-deps-[0-9a-f]+$/, cached);
  return cached;
}

/**
 * The packed tarball with its run-time dependencies inside (`bundleDependencies`), as
 * `npm install` in a place without a registry needs it; cached by what determines it.
 */
async function bundledTarball(packed: string, work: string): Promise<string> {
  const deps = await runtimeDependencies(packed, work);
  const key = createHash('sha256').update(await readFile(packed)).update(deps).digest('hex').slice(0, 16);
  const cached = join(tmpdir(), `hive-test-bundled-${key}.tgz`);
  if (existsSync(cached)) return cached;
  const stage = join(work, 'stage');
  await mkdir(stage);
  await exec('tar', ['-xzf', packed, '-C', stage]);
  const manifestPath = join(stage, 'package', 'package.json');
  const manifest = JSON.parse(await readFile(manifestPath, 'utf8'));
  await writeFile(manifestPath, JSON.stringify({ ...manifest, bundleDependencies: true }, null, 2));
  // tar and gzip -1 rather than `npm pack`: the same tarball npm makes, several times faster;
  // the dependencies go in as package/node_modules straight from where they are kept.
  const partial = `${cached}.${process.pid}`;
  await exec('sh', ['-c', `tar -c --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner --transform 's,^node_modules,package/node_modules,' \
    -C "${stage}" package -C "${deps}" node_modules | gzip -1n > "${partial}"`]);
  await rename(partial, cached);
  await pruneOlder(/^hive-test-bundled-[0-9a-f]+\.tgz$/, cached);
  return cached;
}

/** Follows a container's output until `ready` matches it (its own log, as the user reads it). */
function waitForLog(container: string, ready: RegExp, timeoutMs = 60_000): Promise<string> {
  const follower = spawn('docker', ['logs', '--follow', container], { stdio: ['ignore', 'pipe', 'pipe'] });
  followers.push(follower);
  let out = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      follower.kill();
      reject(new Error(`${container} did not print ${ready} within ${timeoutMs} ms:\n${out}`));
    }, timeoutMs);
    const onData = (d: Buffer) => {
      out += d;
      if (!ready.test(out)) return;
      clearTimeout(timer);
      follower.kill();
      resolve(out);
    };
    follower.stdout!.on('data', onData);
    follower.stderr!.on('data', onData);
    follower.once('exit', () => {
      if (ready.test(out)) return;
      clearTimeout(timer);
      reject(new Error(`${container} ended before printing ${ready}:\n${out}`));
    });
  });
}

const imageId = (image: string) => docker(['image', 'inspect', '--format', '{{.Id}}', image]).then((r) => r.stdout.trim(), () => undefined);
const imageSize = async (image: string) => Number((await docker(['image', 'inspect', '--format', '{{.Size}}', image])).stdout.trim());
const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MiB`;

it('builds the queen and drone images from the package tarball and runs a build across them', { skip, timeout: 600_000 }, async (t) => {
  const started = Date.now();
  const step = (what: string) => t.diagnostic(`${((Date.now() - started) / 1000).toFixed(1)} s: ${what}`);
  tmp = await mkdtemp(join(tmpdir(), 'hive-images-'));
  const context = join(tmp, 'context');
  await mkdir(context);

  // `npm pack` builds dist/ first (prepare): the images hold what the sources say now.
  await exec('npm', ['pack', '--pack-destination', tmp, ...npmFlags], { cwd: repoRoot, maxBuffer: 64 * 1024 * 1024 });
  const [packed] = (await readdir(tmp)).filter((f) => /^hive-ci-.*\.tgz$/.test(f));
  assert.ok(packed, 'npm pack made hive-ci-<version>.tgz');
  step('packed');
  await copyFile(await bundledTarball(join(tmp, packed), tmp), join(context, packed));
  step('dependencies bundled');

  for (const [file, image] of [['queen.Dockerfile', QUEEN_IMAGE], ['drone.Dockerfile', DRONE_IMAGE]]) {
    const before = await imageId(image);
    await docker(['build', '--quiet', '--file', join(repoRoot, 'docker', file), '--build-arg', `BASE_IMAGE=${BASE_IMAGE}`, '--tag', image, context]);
    // The image of an earlier Hive would linger untagged: it goes (unless a container still uses it).
    if (before && before !== (await imageId(image))) await docker(['image', 'rm', before]).catch(() => {});
    step(`built ${image} (${mib(await imageSize(image))}; the base image ${mib(await imageSize(BASE_IMAGE))})`);
  }

  repo = await createGitRepo({ files: { 'README.md': '# containers\n' } });
  // The containers' git runs as uid 1000 and trusts only repositories that user owns.
  await exec('chown', ['-R', '1000:1000', repo.dir]);
  const repoMount = ['--volume', `${repo.dir}:${repo.dir}:ro`];
  await docker(['network', 'create', network]);
  await docker([
    'run', '--detach', '--init', '--name', queenName, '--network', network, '--publish', '127.0.0.1::8080', ...repoMount,
    '--env', `HIVE_ADMIN_TOKEN=${ADMIN_TOKEN}`, '--env', `HIVE_DRONE_TOKEN=${DRONE_TOKEN}`, QUEEN_IMAGE,
  ]);
  await waitForLog(queenName, /Hive is running at/);
  const port = (await docker(['port', queenName, '8080/tcp'])).stdout.trim().split('\n')[0].split(':').pop();
  const url = `http://127.0.0.1:${port}`;
  step('queen container started');

  await docker([
    'run', '--detach', '--init', '--name', droneName, '--network', network, ...repoMount,
    '--env', `HIVE_QUEEN_URL=ws://${queenName}:8080`, '--env', `HIVE_DRONE_TOKEN=${DRONE_TOKEN}`,
    '--env', 'HIVE_DRONE_NAME=container-drone', '--env', 'HIVE_DRONE_CAPACITY=1', '--env', 'HIVE_DRONE_EXECUTOR=process', DRONE_IMAGE,
  ]);
  await waitForLog(droneName, /welcomed by the queen/);
  step('drone container connected');

  const api = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${url}${path}`, {
      method, headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    assert.ok(res.ok, `${method} ${path} → ${res.status}: ${text}`);
    return text.startsWith('{') ? JSON.parse(text) : text;
  };
  const project = await api('POST', '/api/projects', {
    name: 'containers', repoUrl: repo.url,
    config: { phases: { test: ['echo "built by $(id -un) with $(git --version)"', 'test -f README.md'] } },
  });
  const events = await openEventsClient(url, ADMIN_TOKEN);
  try {
    events.send({ type: 'subscribe-projects', projectId: project.id });
    const { id } = await api('POST', `/api/projects/${project.id}/jobs`, {});
    const done = await events.waitFor((m) => m.type === 'project-job' && m.job.id === id && ['passed', 'failed', 'errored', 'cancelled', 'timed_out'].includes(m.job.status), 120_000);
    const log = await api('GET', `/api/jobs/${id}/log`);
    assert.equal(done.job.status, 'passed', `${done.job.message ?? ''}\n${log}`);
    assert.match(log, /built by node with git version \d/);
    assert.equal((await api('GET', `/api/jobs/${id}`)).drone?.name, 'container-drone');
  } finally {
    events.close();
  }
  step('built on the drone container');

  // The queen's HEALTHCHECK, run as Docker would, and who the processes run as.
  const health = JSON.parse((await docker(['image', 'inspect', '--format', '{{json .Config.Healthcheck.Test}}', QUEEN_IMAGE])).stdout) as string[];
  assert.equal(health[0], 'CMD');
  await docker(['exec', queenName, ...health.slice(1)]);
  for (const container of [queenName, droneName]) {
    assert.equal((await docker(['exec', container, 'id', '-un'])).stdout.trim(), 'node', `${container} runs as node`);
  }
});
