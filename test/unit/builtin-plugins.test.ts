/** Each built-in plugin's config schema and what its `phases` contribute. */
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import type { HivePlugin, PluginContext, PluginJob } from '../../plugins/api.ts';
import custom from '../../plugins/custom/index.ts';
import docker from '../../plugins/docker/index.ts';
import env from '../../plugins/env/index.ts';
import { BUILT_IN_PLUGINS, loadPlugins, validatePluginShape } from '../../plugins/loader.ts';
import node from '../../plugins/node/index.ts';
import webhookNotify from '../../plugins/webhook-notify/index.ts';

const job: PluginJob = {
  id: 'j1', number: 3, type: 'TEST', status: 'failed', message: null, ref: { branch: 'main', sha: 'abc' },
  trigger: { source: { type: 'api' } }, url: 'http://hive/jobs/j1', startedAt: null, finishedAt: null, durationMs: 1200,
};
const silent = { info() {}, warn() {}, error() {} };
function ctx<S>(plugin: HivePlugin, config: unknown): PluginContext<S> {
  const parsed = plugin.configSchema.safeParse(config);
  assert.ok(parsed.success, JSON.stringify(parsed.error?.issues));
  return { config: parsed.data as S, job, project: { id: 'p', name: 'demo', repoUrl: '/r' }, log: silent };
}
const phasesOf = async (plugin: HivePlugin, config: unknown) => plugin.phases!(ctx(plugin, config));

describe('built-in plugins', () => {
  it('all load and have valid shapes and JSON schemas', async () => {
    const registry = await loadPlugins({ names: [], resolveFrom: process.cwd() });
    assert.deepEqual(registry.failures, []);
    assert.deepEqual(registry.list().map((p) => p.plugin.name).sort(), [...BUILT_IN_PLUGINS].sort());
    for (const p of registry.list()) {
      validatePluginShape(p.plugin, p.plugin.name);
      assert.equal((p.jsonSchema as { type?: string }).type, 'object', p.plugin.name);
    }
  });

  it('custom: commands per phase, a string or a list', async () => {
    assert.deepEqual(await phasesOf(custom, { prepare: 'make deps', test: ['make test', 'make lint'] }), {
      commands: { prepare: ['make deps'], test: ['make test', 'make lint'] },
    });
    assert.equal(custom.configSchema.safeParse({ lint: ['x'] }).success, false, 'unknown phases are refused');
  });

  it('env: plain vars and secret references, never secret values', async () => {
    assert.deepEqual(await phasesOf(env, { vars: { A: 1, B: true }, secrets: { NPM_TOKEN: 'npm_publish' } }), {
      env: { A: '1', B: 'true' }, secretEnv: { NPM_TOKEN: 'npm_publish' },
    });
    assert.equal(env.configSchema.safeParse({ vars: { 'NOT OK': '1' } }).success, false);
  });

  it('node: image by version, npm ci with a lockfile-keyed cache, npm scripts', async () => {
    const c = await phasesOf(node, { version: '22' });
    assert.equal(c.image, 'node:22');
    const prepare = c.commands!.prepare!.map((x) => (typeof x === 'string' ? x : x.run));
    assert.match(prepare[1], /^npm ci .*--cache .*HIVE_CACHE_DIR.*package-lock\.json/);
    assert.deepEqual(c.commands!.test, ['npm test']);
    const noImage = await phasesOf(node, { image: false, install: 'none', scripts: ['lint', 'test'] });
    assert.equal(noImage.image, undefined);
    assert.equal(noImage.commands!.prepare!.length, 1);
    assert.deepEqual(noImage.commands!.test, ['npm run lint', 'npm test']);
    assert.equal(node.configSchema.safeParse({ version: '20; rm -rf /' }).success, false);
  });

  it('docker: image, pull policy, limits, unprivileged by default, services, and the docker label', async () => {
    const c = await phasesOf(docker, { image: 'debian:12', memoryMb: 512, services: [{ name: 'db', image: 'postgres:16', env: { POSTGRES_PASSWORD: 'x' } }] });
    assert.equal(c.image, 'debian:12');
    assert.deepEqual(c.container, { pull: 'if-not-present', privileged: false, memoryMb: 512 });
    assert.deepEqual(c.services, [{ name: 'db', image: 'postgres:16', env: { POSTGRES_PASSWORD: 'x' } }]);
    assert.deepEqual(c.labels, ['docker']);
    assert.equal(docker.configSchema.safeParse({ services: [{ name: 'Bad Name', image: 'x' }] }).success, false);
  });

  it('webhook-notify: posts a JSON summary of finished jobs, only for the chosen statuses', async () => {
    const received: any[] = [];
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (d) => (body += d));
      req.on('end', () => {
        received.push({ headers: req.headers, body: JSON.parse(body) });
        res.end('ok');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
    try {
      await webhookNotify.hooks!['job:done']!(ctx(webhookNotify, { url, headers: { 'x-team': 'ci' } }));
      assert.equal(received.length, 1);
      assert.equal(received[0].headers['content-type'], 'application/json');
      assert.equal(received[0].headers['x-team'], 'ci');
      assert.equal(received[0].body.project.name, 'demo');
      assert.equal(received[0].body.job.status, 'failed');
      assert.equal(received[0].body.job.url, 'http://hive/jobs/j1');
      await webhookNotify.hooks!['job:done']!(ctx(webhookNotify, { url, on: ['passed'] }));
      assert.equal(received.length, 1, 'a failed job is not reported when only passed ones are wanted');
      assert.equal(webhookNotify.configSchema.safeParse({ url: 'ftp://x' }).success, false);
    } finally {
      server.close();
    }
  });
});
