/**
 * A corpus of bad requests, each answered with a clean 4xx and a clear `{error:{code,message}}`
 * (never a 500, never SQL), and none of them changing anything in the database. New ones
 * (NUL and lone surrogates, unknown-repository webhooks, the metrics token) sit beside ones
 * that already held (malformed JSON, wrong tokens, oversized bodies, unknown ids, bad
 * signatures). Then what such input does where it cannot simply be refused: a `.hive.yml`
 * (job errored, field named), a signed webhook (characters replaced), and the rest of the
 * hardening that needs a live queen: login throttling per address, auth-failure metrics,
 * security headers and write-only plugin secrets.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { count, eq } from 'drizzle-orm';
import { WebSocket } from 'ws';
import { apiTokens, jobs, projects, sessions, users, webhookDeliveries } from '../../server/db/schema.ts';
import { createGitRepo, type GitRepo } from '../helpers/git-repo.ts';
import { scrapeMetrics, startTestQueen, type TestQueen } from '../helpers/queen.ts';
import { logIn } from '../helpers/web-session.ts';
import { openPluginSecrets } from '../../server/jobs/sealed-plugin-config.ts';
import { sendGithubHook, sendGitlabHook } from '../helpers/webhook-sender.ts';

const PASSWORD = 'corpus-password-1';
let queen: TestQueen;
let repo: GitRepo;
let project: { id: string; secret: string };

before(async () => {
  [queen, repo] = await Promise.all([
    startTestQueen({ HIVE_ADMIN_PASSWORD: PASSWORD, HIVE_TRUST_PROXY: 'true' }),
    createGitRepo({ files: { 'README.md': 'corpus\n' } }),
  ]);
  const created = await queen.api('POST', '/api/projects', { name: 'corpus', repoUrl: repo.url, forgeRepo: 'corpus/known', provider: 'github' });
  assert.equal(created.status, 201, created.text);
  project = { id: created.body.id, secret: created.body.webhookSecret };
});
after(async () => {
  await queen?.stop();
  await repo?.cleanup();
});

/** Everything a bad request could have changed, as comparable JSON. */
async function snapshot(): Promise<string> {
  const db = queen.testDb.db;
  const tokens = await db.select({ id: apiTokens.id, revokedAt: apiTokens.revokedAt }).from(apiTokens);
  return JSON.stringify({
    projects: await db.select().from(projects),
    jobs: await db.select().from(jobs),
    users: await db.select().from(users),
    deliveries: await db.select().from(webhookDeliveries),
    sessions: (await db.select({ n: count() }).from(sessions))[0].n,
    tokens,
  });
}

const pushPayload = (fullName: string, message = 'change things') => ({
  ref: 'refs/heads/main',
  before: '0'.repeat(40),
  after: 'a'.repeat(40),
  repository: { full_name: fullName, clone_url: `https://github.com/${fullName}.git`, html_url: `https://github.com/${fullName}` },
  head_commit: { id: 'a'.repeat(40), message, url: `https://github.com/${fullName}/commit/${'a'.repeat(40)}`, author: { name: 'A', email: 'a@example.com' } },
  pusher: { name: 'a' },
  sender: { login: 'a' },
});

interface Case {
  name: string;
  send(): Promise<{ status: number; body: any; text: string }>;
  status: number;
  code?: string;
  /** The message must say this (e.g. name the field). */
  message?: RegExp;
}

const api = (method: string, path: string, body?: unknown, headers?: Record<string, string>) => () => queen.api(method, path, body, headers);
const raw = (method: string, path: string, init: RequestInit = {}) => async () => {
  const res = await fetch(`${queen.url}${path}`, { method, ...init });
  const text = await res.text();
  let body: unknown;
  try { body = JSON.parse(text); } catch { body = undefined; }
  return { status: res.status, body, text };
};
const projectPath = () => `/api/projects/${project.id}`;
const NUL = 'a\u0000b';
const LONE = 'a\uD800b';

const CASES: Case[] = [
  // Already refused before this work.
  { name: 'malformed JSON', send: api('POST', '/api/projects', '{"name": "broken",'), status: 400, code: 'validation_error', message: /not valid JSON/ },
  { name: 'unknown field', send: api('POST', '/api/projects', { name: 'x', repoUrl: '/x', evil: true }), status: 400, code: 'validation_error' },
  { name: 'wrong token', send: api('GET', '/api/projects', undefined, { authorization: 'Bearer hive_not-a-real-token-000000' }), status: 401, code: 'unauthorized' },
  { name: 'malformed Authorization header', send: api('GET', '/api/projects', undefined, { authorization: 'Basic eDp5' }), status: 401, code: 'unauthorized' },
  { name: 'no credentials', send: raw('GET', '/api/projects'), status: 401, code: 'unauthorized' },
  { name: 'oversized body', send: api('POST', '/api/projects', JSON.stringify({ name: 'big', repoUrl: '/x', config: { env: { A: 'x'.repeat(2 * 1024 * 1024) } } })), status: 413, code: 'payload_too_large' },
  { name: 'unknown project id', send: api('GET', '/api/projects/00000000-0000-4000-8000-000000000000'), status: 404, code: 'not_found' },
  { name: 'non-uuid job id', send: api('GET', '/api/jobs/%27%3B%20drop%20table%20jobs'), status: 404, code: 'not_found' },
  { name: 'trigger for an unknown project', send: api('POST', '/api/projects/00000000-0000-4000-8000-000000000000/jobs', {}), status: 404, code: 'not_found' },
  { name: 'bad webhook signature', send: () => sendGithubHook(queen.url, 'push', pushPayload('corpus/known'), { secret: 'not-the-secret-at-all' }), status: 401, code: 'unauthorized' },
  { name: 'unsigned webhook', send: () => sendGithubHook(queen.url, 'push', pushPayload('corpus/known')), status: 401, code: 'unauthorized' },
  { name: 'webhook that is not JSON', send: raw('POST', '/hooks/github', { body: '{nope', headers: { 'x-github-event': 'push', 'content-type': 'application/json' } }), status: 400, code: 'validation_error' },
  { name: 'GitLab webhook with a wrong token', send: () => sendGitlabHook(queen.url, 'Push Hook', { object_kind: 'push', project: { path_with_namespace: 'corpus/known' } }, { token: 'wrong' }), status: 401, code: 'unauthorized' },

  // NUL and lone surrogates: 400 naming the field.
  { name: 'NUL in a trigger message', send: () => queen.api('POST', `${projectPath()}/jobs`, { message: NUL }), status: 400, code: 'validation_error', message: /^message contains a NUL character/ },
  { name: 'lone surrogate in a trigger message', send: () => queen.api('POST', `${projectPath()}/jobs`, { message: LONE }), status: 400, code: 'validation_error', message: /^message contains a lone UTF-16 surrogate/ },
  { name: 'NUL in a project name', send: api('POST', '/api/projects', { name: NUL, repoUrl: '/x' }), status: 400, code: 'validation_error', message: /^name contains a NUL/ },
  { name: 'NUL in config env', send: () => queen.api('PATCH', projectPath(), { config: { env: { FOO: NUL } } }), status: 400, code: 'validation_error', message: /^config\.env\.FOO contains a NUL/ },
  { name: 'lone surrogate in an env name', send: () => queen.api('PATCH', projectPath(), { config: { env: { ['X\uDC00']: 'v' } } }), status: 400, code: 'validation_error', message: /key contains a lone UTF-16 surrogate/ },
  { name: 'NUL in a command', send: () => queen.api('PATCH', projectPath(), { config: { phases: { test: ['echo', NUL] } } }), status: 400, code: 'validation_error', message: /^config\.phases\.test\[1\] contains a NUL/ },
  { name: 'NUL in a secret', send: () => queen.api('PATCH', projectPath(), { secrets: { TOKEN: NUL } }), status: 400, code: 'validation_error', message: /^secrets\.TOKEN contains a NUL/ },
  { name: 'NUL in a plugin config', send: () => queen.api('PATCH', projectPath(), { plugins: [{ name: 'env', config: { vars: { A: NUL } } }] }), status: 400, code: 'validation_error', message: /^plugins\[0\]\.config\.vars\.A contains a NUL/ },
  { name: 'NUL in a new username', send: api('POST', '/api/users', { username: NUL, password: 'long enough password' }), status: 400, code: 'validation_error', message: /^username contains a NUL/ },
  { name: 'NUL in a token name', send: api('POST', '/api/tokens', { name: NUL }), status: 400, code: 'validation_error', message: /^name contains a NUL/ },
  { name: 'NUL in a query parameter', send: () => queen.api("GET", `${projectPath()}/jobs?limit=%00`), status: 400, code: 'validation_error', message: /query parameter "limit" contains a NUL/ },

  // Webhooks naming an unknown repository answer like a bad signature (no probing).
  { name: 'unsigned webhook for an unknown repository', send: () => sendGithubHook(queen.url, 'push', pushPayload('nobody/unknown')), status: 401, code: 'unauthorized' },
  { name: 'mis-signed webhook for an unknown repository', send: () => sendGithubHook(queen.url, 'push', pushPayload('nobody/unknown'), { secret: 'not-the-secret-at-all' }), status: 401, code: 'unauthorized' },

  // /metrics takes only HIVE_METRICS_TOKEN.
  { name: '/metrics with the admin token', send: api('GET', '/metrics'), status: 401, code: 'unauthorized', message: /HIVE_METRICS_TOKEN/ },
  { name: '/metrics without a token', send: raw('GET', '/metrics'), status: 401, code: 'unauthorized' },
];

describe('bad input corpus: a clean 4xx, a clear error, nothing changed', { concurrency: false }, () => {
  for (const c of CASES) {
    it(c.name, async () => {
      const before = await snapshot();
      const res = await c.send();
      assert.equal(res.status, c.status, res.text.slice(0, 500));
      if (c.code) assert.equal(res.body?.error?.code, c.code, res.text.slice(0, 500));
      if (c.message) assert.match(res.body.error.message, c.message);
      assert.ok(!/\b(insert|select|update)\b.*\b(into|from|set)\b/i.test(res.text), 'no SQL in the answer');
      assert.equal(await snapshot(), before, 'the database did not change');
    });
  }

  it('answers an unknown repository exactly as a known one with a bad signature', async () => {
    for (const secret of [undefined, 'not-the-secret-at-all']) {
      const unknown = await sendGithubHook(queen.url, 'push', pushPayload('nobody/unknown'), { secret });
      const known = await sendGithubHook(queen.url, 'push', pushPayload('corpus/known'), { secret });
      assert.deepEqual([unknown.status, unknown.body], [known.status, known.body]);
    }
  });

  it('refuses NUL in a page form field with a 400 page, not a 500', async () => {
    const session = await logIn(queen.url, 'admin', PASSWORD);
    const before = await snapshot();
    const res = await fetch(`${queen.url}/projects/${project.id}/run`, {
      method: 'POST', redirect: 'manual',
      headers: { cookie: session.cookie, 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html', origin: queen.url },
      body: new URLSearchParams({ _csrf: session.csrf, branch: 'main', message: NUL }).toString(),
    });
    assert.equal(res.status, 400, await res.text());
    assert.equal(await snapshot(), before);
  });
});

describe('bad characters where they cannot be refused', () => {
  it('ends a job errored, naming the field, when .hive.yml holds NUL or a lone surrogate', async () => {
    for (const [yml, field, problem] of [
      ['env:\n  FOO: "a\\0b"\n', 'env.FOO', /NUL/],
      ['phases:\n  test: ["echo \\uD800"]\n', 'phases.test[0]', /lone UTF-16 surrogate/],
    ] as const) {
      const sha = await repo.commit({ files: { '.hive.yml': yml }, message: 'bad characters' });
      const job = (await queen.api('POST', `${projectPath()}/jobs`, { sha })).body;
      const done = await queen.waitForJob(job.id);
      assert.equal(done.status, 'errored');
      assert.match(done.message ?? '', new RegExp(`Invalid \\.hive\\.yml: ${field.replace(/[.[\]]/g, '\\$&')} contains`));
      assert.match(done.message ?? '', problem);
      assert.ok(!/insert|select|syntax/i.test(done.message ?? ''), done.message ?? '');
    }
  });

  it('replaces them in a correctly signed webhook and builds', async () => {
    const res = await sendGithubHook(queen.url, 'push', pushPayload('corpus/known', 'fix \u0000 and \uD800'), { secret: project.secret });
    assert.equal(res.status, 202, res.text);
    const job = (await queen.api('GET', `/api/jobs/${res.body.jobs[0]}`)).body;
    assert.equal(job.trigger.message, 'fix \uFFFD and \uFFFD');
  });
});

describe('login throttling', { concurrency: false }, () => {
  const login = (username: string, password: string, address: string) => fetch(`${queen.url}/login`, {
    method: 'POST', redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-forwarded-for': `${address}, 10.0.0.1` },
    body: new URLSearchParams({ username, password }).toString(),
  });

  it('locks a username out of one address only: the right password from elsewhere works', async () => {
    for (let i = 0; i < 10; i++) assert.equal((await login('admin', 'wrong password', '203.0.113.7')).status, 401);
    const locked = await login('admin', PASSWORD, '203.0.113.7');
    assert.equal(locked.status, 429);
    assert.match(await locked.text(), /Too many failed attempts for this user from your address/);
    assert.equal((await login('admin', PASSWORD, '192.0.2.44')).status, 303, 'the admin logs in from another address');
  });

  it('locks an address that tries many usernames', async () => {
    for (let i = 0; i < 50; i++) await login(`user${i}`, 'wrong password', '198.51.100.3');
    const res = await login('admin', PASSWORD, '198.51.100.3');
    assert.equal(res.status, 429);
    assert.match(await res.text(), /Too many failed attempts from your address/);
    assert.equal((await login('admin', PASSWORD, '192.0.2.45')).status, 303);
  });

  it('treats a username with NUL as a failed login, not a 500', async () => {
    assert.equal((await login('ad\u0000min', PASSWORD, '192.0.2.46')).status, 401);
  });

  it('counts rejected credentials of every kind in /metrics', async () => {
    const refused = new WebSocket(`${queen.url.replace(/^http/, 'ws')}/drone`, { headers: { authorization: 'Bearer wrong-drone-token-0000' } });
    const status = await new Promise<number>((resolve) => {
      refused.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      refused.on('error', () => resolve(-1));
    });
    assert.equal(status, 401);
    const text = await scrapeMetrics(queen);
    const value = (kind: string) => Number(new RegExp(`^hive_auth_failures_total\\{kind="${kind}"\\} (\\d+)$`, 'm').exec(text)?.[1]);
    assert.ok(value('login') >= 60, `login: ${value('login')}`);
    assert.ok(value('webhook') >= 4, `webhook: ${value('webhook')}`);
    assert.ok(value('api_token') >= 3, `api_token: ${value('api_token')}`);
    assert.ok(value('drone') >= 1, `drone: ${value('drone')}`);
  });
});

describe('security headers', () => {
  it('sends CSP, X-Frame-Options, nosniff and Referrer-Policy with pages and API answers', async () => {
    for (const path of ['/login', '/api/projects', '/no-such-page']) {
      const res = await fetch(`${queen.url}${path}`, { headers: { accept: 'text/html' } });
      assert.match(res.headers.get('content-security-policy') ?? '', /script-src 'self'.*frame-ancestors 'none'/, path);
      assert.equal(res.headers.get('x-frame-options'), 'DENY', path);
      assert.equal(res.headers.get('x-content-type-options'), 'nosniff', path);
      assert.equal(res.headers.get('referrer-policy'), 'same-origin', path);
    }
  });
});

describe('secret plugin fields', { concurrency: false }, () => {
  const HOOK_URL = 'https://chat.example.com/hooks/T0KEN-in-the-path';
  const notify = (config: Record<string, unknown>) => ({ plugins: [{ name: 'webhook-notify', config }] });

  it('are marked secret in the plugin list and never answered, to admins either', async () => {
    const listed = (await queen.api('GET', '/api/plugins')).body.plugins.find((p: { name: string }) => p.name === 'webhook-notify');
    assert.equal(listed.configSchema.properties.url.secret, true);
    assert.equal(listed.configSchema.properties.headers.secret, true);
    const saved = await queen.api('PATCH', projectPath(), notify({ url: HOOK_URL, headers: { Authorization: 'Bearer sekrit-header' }, on: ['failed'] }));
    assert.equal(saved.status, 200, saved.text);
    for (const body of [saved.body, (await queen.api('GET', projectPath())).body, (await queen.api('GET', '/api/projects')).body]) {
      assert.ok(!JSON.stringify(body).includes('T0KEN') && !JSON.stringify(body).includes('sekrit-header'), JSON.stringify(body));
    }
    assert.deepEqual(saved.body.plugins[0].secretsSet, ['url', 'headers']);
    assert.deepEqual(saved.body.plugins[0].config, { on: ['failed'] });
  });

  it('keep their stored value when saved without them, and go with null', async () => {
    const kept = await queen.api('PATCH', projectPath(), notify({ on: ['passed'] }));
    assert.equal(kept.status, 200, kept.text);
    const [row] = await queen.testDb.db.select({ plugins: projects.plugins }).from(projects).where(eq(projects.id, project.id));
    // Stored sealed (sealed-plugin-config.ts): the kept value opens to the one saved before.
    assert.equal(openPluginSecrets(queen.secretBox, row.plugins)[0].config.url, HOOK_URL);
    assert.ok(!JSON.stringify(row.plugins).includes('T0KEN'));
    assert.deepEqual(row.plugins[0].config.on, ['passed']);
    const cleared = await queen.api('PATCH', projectPath(), notify({ headers: null }));
    assert.deepEqual(cleared.body.plugins[0].secretsSet, ['url']);
    const missing = await queen.api('PATCH', projectPath(), notify({ url: null }));
    assert.equal(missing.status, 400, 'url is required');
    assert.match(missing.body.error.message, /plugins\[0\]\.config\.url/);
  });

  it('are write-only in the settings page', async () => {
    const session = await logIn(queen.url, 'admin', PASSWORD);
    const page = await (await fetch(`${queen.url}/projects/${project.id}/settings`, { headers: { cookie: session.cookie } })).text();
    assert.ok(!page.includes('T0KEN'), 'the URL is nowhere in the page');
    assert.match(page, /Write-only: set — leave empty to keep it/);
  });
});
