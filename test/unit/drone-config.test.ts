import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, loadDroneConfig } from '../../drone/config.ts';
import type { SystemFacts } from '../../drone/config.ts';
import { DEFAULT_GIT_TIMEOUTS } from '../../common/git/git-timeouts.ts';

const system: SystemFacts = {
  hostname: 'box-1',
  parallelism: 6,
  cwd: '/srv/hive',
  readFile: (path) => {
    if (path === '/run/secrets/token') return 'from-file\n';
    throw Object.assign(new Error(`ENOENT: ${path}`), { code: 'ENOENT' });
  },
};
const load = (argv: string[], env: NodeJS.ProcessEnv = {}) => loadDroneConfig(argv, env, system);
const base = ['--queen', 'ws://127.0.0.1:8080', '--token', 'T'];

describe('loadDroneConfig', () => {
  it('reads every flag', () => {
    const config = load([
      '--queen', 'ws://queen.example:8080/', '--token', 'secret', '--capacity', '3', '--labels', 'a, b,,a',
      '--name', 'X', '--speed', '2.5', '--data-dir', 'data', '--plugins', 'node', '--keep-workspaces',
      '--executor', 'docker', '--docker-host', 'unix:///run/docker.sock',
    ]);
    assert.deepEqual(config, {
      queenUrl: 'ws://queen.example:8080',
      queenUrls: ['ws://queen.example:8080'],
      token: 'secret',
      name: 'X',
      capacity: 3,
      speed: 2.5,
      labels: ['a', 'b'],
      plugins: ['node'],
      dataDir: '/srv/hive/data',
      keepWorkspaces: true,
      allowPrivileged: false,
      hostEnv: {},
      executor: 'docker',
      dockerHost: 'unix:///run/docker.sock',
      gitTimeouts: DEFAULT_GIT_TIMEOUTS,
    });
  });

  it('reports the privileged label only with --allow-privileged', () => {
    assert.deepEqual(load([...base, '--labels', 'privileged,gpu']).labels, ['gpu'], 'a label alone does not allow it');
    const allowed = load([...base, '--labels', 'gpu', '--allow-privileged']);
    assert.equal(allowed.allowPrivileged, true);
    assert.deepEqual(allowed.labels, ['gpu', 'privileged']);
    assert.deepEqual(load(base, { HIVE_DRONE_ALLOW_PRIVILEGED: 'true' }).labels, ['privileged']);
  });

  it('takes several queens: --queen repeated, or comma-separated in the flag or HIVE_QUEEN_URL', () => {
    const repeated = load(['--queen', 'ws://a:8080', '--queen', 'http://b:8080/', '--token', 'T']);
    assert.deepEqual(repeated.queenUrls, ['ws://a:8080', 'ws://b:8080']);
    assert.equal(repeated.queenUrl, 'ws://a:8080', 'the first is tried first');
    assert.deepEqual(load(['--queen', 'ws://a:8080, ws://b:8080,', '--token', 'T']).queenUrls, ['ws://a:8080', 'ws://b:8080']);
    assert.deepEqual(load(['--token', 'T'], { HIVE_QUEEN_URL: 'wss://a,wss://b,wss://a' }).queenUrls, ['wss://a', 'wss://b'], 'each once');
    assert.deepEqual(load(['--queen', 'ws://c', '--token', 'T'], { HIVE_QUEEN_URL: 'wss://a,wss://b' }).queenUrls, ['ws://c'], 'flags win');
    assert.throws(() => load(['--queen', 'ws://a,ftp://b', '--token', 'T']), /ws:\/\/ or wss:\/\/ URL, got "ftp:\/\/b"/);
    assert.throws(() => load(['--queen', ' , ', '--token', 'T']), /Expected the queen URL/);
  });

  it('takes --flag=value as well', () => {
    assert.equal(load([...base, '--capacity=4']).capacity, 4);
  });

  it('falls back to the environment, flags win', () => {
    const env = {
      HIVE_QUEEN_URL: 'wss://q.example', HIVE_DRONE_TOKEN: 'envtoken', HIVE_DRONE_CAPACITY: '2', HIVE_DRONE_LABELS: 'gpu',
      HIVE_DRONE_NAME: 'envname', HIVE_DRONE_SPEED: '3', HIVE_DRONE_DATA_DIR: '/var/hive', HIVE_DRONE_KEEP_WORKSPACES: 'true',
    };
    const config = load([], env);
    assert.equal(config.queenUrl, 'wss://q.example');
    assert.equal(config.token, 'envtoken');
    assert.equal(config.capacity, 2);
    assert.deepEqual(config.labels, ['gpu']);
    assert.equal(config.name, 'envname');
    assert.equal(config.speed, 3);
    assert.equal(config.dataDir, '/var/hive');
    assert.equal(config.keepWorkspaces, true);
    assert.equal(load(['--capacity', '5'], env).capacity, 5);
  });

  it('has defaults: capacity = parallelism, name = hostname, speed 1, no labels, ./.hive/drone', () => {
    const config = load(base);
    assert.equal(config.capacity, 6);
    assert.equal(config.name, 'box-1');
    assert.equal(config.speed, 1);
    assert.deepEqual(config.labels, []);
    assert.deepEqual(config.plugins, []);
    assert.equal(config.dataDir, '/srv/hive/.hive/drone');
    assert.equal(config.keepWorkspaces, false);
  });

  it('turns an http(s) queen URL into ws(s)', () => {
    assert.equal(load(['--queen', 'https://q.example/base/', '--token', 'T']).queenUrl, 'wss://q.example/base');
  });

  it('reads the token from a file', () => {
    assert.equal(load(['--queen', 'ws://q'], { HIVE_DRONE_TOKEN_FILE: '/run/secrets/token' }).token, 'from-file');
  });

  it('passes only whitelisted host variables to commands', () => {
    const config = load(base, { PATH: '/bin', HOME: '/root', HIVE_DRONE_TOKEN: 'x', AWS_SECRET_ACCESS_KEY: 'y' });
    assert.deepEqual(config.hostEnv, { PATH: '/bin', HOME: '/root' });
  });

  const rejects = (argv: string[], env: NodeJS.ProcessEnv, message: string | RegExp) =>
    assert.throws(() => load(argv, env), (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      if (typeof message === 'string') assert.equal(err.message, message);
      else assert.match(err.message, message);
      return true;
    });

  it('rejects a bad capacity', () => {
    rejects([...base, '--capacity', 'abc'], {}, 'Expected --capacity to be a positive integer, got "abc"');
    rejects([...base, '--capacity', '0'], {}, 'Expected --capacity to be a positive integer, got "0"');
    rejects([...base, '--capacity', '1.5'], {}, 'Expected --capacity to be a positive integer, got "1.5"');
    rejects([...base], { HIVE_DRONE_CAPACITY: '-2' }, 'Expected --capacity to be a positive integer, got "-2"');
  });

  it('rejects a bad speed', () => {
    rejects([...base, '--speed', 'fast'], {}, 'Expected --speed to be a positive number, got "fast"');
    rejects([...base, '--speed', '0'], {}, 'Expected --speed to be a positive number, got "0"');
  });

  it('requires a token, with a clear message', () => {
    rejects(['--queen', 'ws://q'], {}, /Expected a drone token: pass --token or set HIVE_DRONE_TOKEN/);
    rejects(['--queen', 'ws://q', '--token', '  '], {}, /Expected a drone token/);
    rejects(['--queen', 'ws://q', '--token-file', '/nope'], {}, /Could not read the drone token file "\/nope"/);
  });

  it('requires a ws queen URL', () => {
    rejects(['--token', 'T'], {}, /Expected the queen URL/);
    rejects(['--queen', 'ftp://q', '--token', 'T'], {}, 'Expected --queen to be a ws:// or wss:// URL, got "ftp://q"');
    rejects(['--queen', 'not a url', '--token', 'T'], {}, /Expected --queen to be a ws:\/\/ or wss:\/\/ URL/);
  });

  it('rejects unknown options and missing values', () => {
    rejects([...base, '--capacty', '2'], {}, /Unknown option --capacty/);
    rejects([...base, '--capacity'], {}, 'Expected a value after --capacity');
    rejects([...base, 'stray'], {}, /Unexpected argument "stray"/);
    rejects([...base], { HIVE_DRONE_KEEP_WORKSPACES: 'maybe' }, /Expected HIVE_DRONE_KEEP_WORKSPACES to be a boolean \(true\/false\/1\/0\), got "maybe"/);
  });

  it('finds the Docker client configuration with the registry logins where the docker CLI does', () => {
    assert.equal(load(base).dockerConfigFile, undefined, 'no home and no flag: none');
    assert.equal(loadDroneConfig(base, {}, { ...system, home: '/home/hive' }).dockerConfigFile, '/home/hive/.docker/config.json');
    assert.equal(load(base, { DOCKER_CONFIG: '/etc/hive/docker' }).dockerConfigFile, '/etc/hive/docker/config.json');
    assert.equal(load([...base, '--docker-config', 'conf'], { DOCKER_CONFIG: '/etc/x' }).dockerConfigFile, '/srv/hive/conf/config.json', 'the flag wins, relative to the working directory');
  });

  it('runs jobs with an image in Docker when an engine answers, unless told otherwise', () => {
    assert.equal(load(base).executor, 'auto');
    assert.equal(load(base).dockerHost, undefined);
    assert.equal(load(base, { HIVE_DRONE_EXECUTOR: 'process' }).executor, 'process');
    assert.equal(load(base, { DOCKER_HOST: 'tcp://10.0.0.5:2375' }).dockerHost, 'tcp://10.0.0.5:2375');
    assert.throws(() => load([...base, '--executor', 'podman']), /Expected --executor to be one of auto, docker, process, got "podman"/);
    assert.throws(() => load([...base, '--docker-host', 'ssh://box']), /Expected --docker-host to be unix:\/\/\/path/);
  });
});
