/**
 * Secret plugin fields end to end: sealed in the projects table and in the job's stored
 * plugins, never in the stored spec nor `GET /api/jobs/:id`, passed to the build as a
 * secret env var (the build gets the real value, its log shows `********`), a value a
 * plugin writes into a command's text ends the job errored naming plugin and field, and
 * neither a plugin's failing phases nor webhook-notify failing to POST to its secret URL
 * put the value in the queen's log or the job's message.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { eq } from 'drizzle-orm';
import { jobs, projects } from '../../server/db/schema.ts';
import { createLogger, silentLogger } from '../../server/logger.ts';
import { openPluginSecrets } from '../../server/jobs/sealed-plugin-config.ts';
import { sealStoredPluginSecrets } from '../../server/jobs/seal-stored-plugin-secrets.ts';
import { createGitRepo, type GitRepo } from '../helpers/git-repo.ts';
import { connectDrone, type TestDrone } from '../helpers/drone-process.ts';
import { createPluginDir, type PluginDir } from '../helpers/plugin-dir.ts';
import { startTestQueen, type TestQueen } from '../helpers/queen.ts';

const TOKEN = 'tok-3f9a-very-secret-value';
const HOOK_PATH = '/hooks/SECRET-PATH-77c1';
const HEADER = 'Bearer hdr-secret-5521';
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

// `mode`: how the plugin hands its token to the job — as env (the right way), in a
// command's text (refused), or in the error its phases throw.
const TOKEN_PLUGIN = `import { definePlugin, z } from 'hive-ci/plugin';
export default definePlugin({
  name: 'hive-plugin-token', version: '1.0.0',
  configSchema: z.object({
    token: z.string().meta({ secret: true }),
    want: z.string().default(''),
    mode: z.enum(['env', 'command', 'throw']).default('env'),
  }),
  phases: ({ config, log }) => {
    log.info('preparing with ' + config.token, { token2: config.token });
    if (config.mode === 'throw') throw new Error('cannot reach the server with ' + config.token);
    if (config.mode === 'command') return { commands: { test: ['curl -H "x-token: ' + config.token + '" https://example.com'] } };
    return {
      env: { TOKEN: config.token },
      commands: { test: ['echo "token is $TOKEN"', 'test "$(printf %s "$TOKEN" | sha256sum | cut -d " " -f 1)" = "' + config.want + '"'] },
    };
  },
});
`;

let plugins: PluginDir;
let queen: TestQueen;
let repo: GitRepo;
let drone: TestDrone;
let hookServer: Server;
let hookUrl: string;
let hookHits = 0;
const logLines: string[] = [];

before(async () => {
  plugins = await createPluginDir();
  await plugins.writePackage('hive-plugin-token', TOKEN_PLUGIN);
  hookServer = createServer((req, res) => {
    hookHits++;
    req.resume();
    res.writeHead(500).end('no');
  });
  await new Promise<void>((resolve) => hookServer.listen(0, '127.0.0.1', resolve));
  hookUrl = `http://127.0.0.1:${(hookServer.address() as AddressInfo).port}${HOOK_PATH}`;
  const log = createLogger('debug', 'queen', { write: (line) => void logLines.push(line) });
  queen = await startTestQueen({ HIVE_PLUGIN_DIR: plugins.dir, HIVE_PLUGINS: 'hive-plugin-token' }, undefined, { log });
  repo = await createGitRepo({ files: { 'README.md': 'hi\n' } });
  drone = await connectDrone(queen, { name: 'secretive', capacity: 2 });
});
after(async () => {
  await drone?.stop();
  await queen?.stop();
  await repo?.cleanup();
  await plugins?.cleanup();
  await new Promise((resolve) => hookServer?.close(resolve));
});

const tokenPlugin = (config: Record<string, unknown>) => ({ name: 'hive-plugin-token', config });
async function createProject(name: string, pluginList: unknown[]) {
  const res = await queen.api('POST', '/api/projects', { name, repoUrl: repo.url, plugins: pluginList });
  assert.equal(res.status, 201, res.text);
  return res.body.id as string;
}
async function build(projectId: string) {
  const id = (await queen.api('POST', `/api/projects/${projectId}/jobs`, {})).body.id as string;
  return { id, job: await queen.waitForJob(id) };
}
const projectRow = async (id: string) => (await queen.testDb.db.select().from(projects).where(eq(projects.id, id)))[0];
const jobRow = async (id: string) => (await queen.testDb.db.select().from(jobs).where(eq(jobs.id, id)))[0];
const queenLog = () => logLines.join('');

describe('a secret plugin field passed as env', () => {
  let projectId: string;
  let jobId: string;

  it('is sealed in the projects table, never answered', async () => {
    projectId = await createProject('env-token', [tokenPlugin({ token: TOKEN, want: sha256(TOKEN) })]);
    const row = await projectRow(projectId);
    assert.ok(!JSON.stringify(row).includes(TOKEN), 'no plaintext in the row');
    assert.match(JSON.stringify(row.plugins[0].config.token), /^\{"\$sealed":"v1\./);
    const shown = await queen.api('GET', `/api/projects/${projectId}`);
    assert.ok(!shown.text.includes(TOKEN) && !shown.text.includes('$sealed'), shown.text);
    assert.deepEqual(shown.body.plugins[0].secretsSet, ['token']);
  });

  it('reaches the build with its real value, masked in the log, never in the stored job', async () => {
    const built = await build(projectId);
    jobId = built.id;
    assert.equal(built.job.status, 'passed', built.job.message ?? '');
    const log = (await queen.api('GET', `/api/jobs/${jobId}/log`)).text;
    assert.match(log, /token is \*{8}/);
    assert.ok(!log.includes(TOKEN));
    const shown = await queen.api('GET', `/api/jobs/${jobId}`);
    assert.ok(!shown.text.includes(TOKEN), 'not in GET /api/jobs/:id');
    assert.equal(shown.body.spec.env.TOKEN, undefined);
    assert.deepEqual(shown.body.spec.secretRefs, { TOKEN: 'plugin:hive-plugin-token/token' });
    const row = await jobRow(jobId);
    assert.ok(!JSON.stringify(row.spec).includes(TOKEN), 'not in the stored spec');
    assert.ok(!JSON.stringify(row.plugins).includes(TOKEN), 'the job\'s stored plugins hold it sealed');
  });

  it('keeps working from a row stored before sealing, which the start-up pass or the next save seals', async () => {
    const plain = [{ name: 'hive-plugin-token', enabled: true, config: { token: TOKEN, want: sha256(TOKEN) } }];
    const storePlain = () => queen.testDb.db.update(projects).set({ plugins: plain }).where(eq(projects.id, projectId));
    await storePlain();
    const { job } = await build(projectId);
    assert.equal(job.status, 'passed', job.message ?? '');
    assert.ok(await sealStoredPluginSecrets(queen.testDb.db, queen.secretBox, queen.plugins, silentLogger()) >= 1);
    assert.ok(!JSON.stringify(await projectRow(projectId)).includes(TOKEN), 'sealed by the pass a queen makes at start');
    assert.deepEqual(openPluginSecrets(queen.secretBox, (await projectRow(projectId)).plugins), plain);
    await storePlain();
    const saved = await queen.api('PATCH', `/api/projects/${projectId}`, { plugins: [tokenPlugin({ want: sha256(TOKEN) })] });
    assert.equal(saved.status, 200, saved.text);
    assert.ok(!JSON.stringify(await projectRow(projectId)).includes(TOKEN), 'kept, and sealed by the save');
  });
});

describe('a secret plugin field elsewhere', () => {
  it('in a command\'s text ends the job errored naming plugin and field, and is stored nowhere', async () => {
    const projectId = await createProject('command-token', [tokenPlugin({ token: TOKEN, mode: 'command' })]);
    const { id, job } = await build(projectId);
    assert.equal(job.status, 'errored');
    assert.match(job.message ?? '', /Plugin "hive-plugin-token" put the value of its secret field "token" into commands\.test\[0\]/);
    assert.match(job.message ?? '', /env: \{ TOKEN: config\.token \}/);
    assert.ok(!JSON.stringify(await jobRow(id)).includes(TOKEN));
  });

  it('in the error a plugin\'s phases throw is masked in the job\'s message', async () => {
    const projectId = await createProject('throw-token', [tokenPlugin({ token: TOKEN, mode: 'throw' })]);
    const { id, job } = await build(projectId);
    assert.equal(job.status, 'errored');
    assert.match(job.message ?? '', /cannot reach the server with \*{8}/);
    assert.ok(!(await queen.api('GET', `/api/jobs/${id}`)).text.includes(TOKEN));
  });
});

describe('webhook-notify with a secret URL that fails', () => {
  it('logs the failure without the URL or headers', async () => {
    const projectId = await createProject('notify-token', [
      { name: 'webhook-notify', config: { url: hookUrl, headers: { Authorization: HEADER }, on: ['passed'] } },
    ]);
    const shown = await queen.api('GET', `/api/projects/${projectId}`);
    assert.ok(!shown.text.includes(HOOK_PATH) && !shown.text.includes(HEADER));
    const { id } = await build(projectId);
    await queen.hooks.settled();
    assert.equal(hookHits, 1, 'the hook POSTed to its URL');
    assert.match(queenLog(), /plugin hook failed/);
    assert.match(queenLog(), /\*{8} answered 500/);
    assert.ok(!JSON.stringify(await projectRow(projectId)).includes(HOOK_PATH));
    assert.ok(!JSON.stringify(await jobRow(id)).includes(HOOK_PATH));
    assert.ok(!(await queen.api('GET', `/api/jobs/${id}`)).text.includes(HOOK_PATH));
  });
});

describe('the queen\'s log', () => {
  it('never holds a secret plugin value', () => {
    assert.match(queenLog(), /preparing with \*{8}/, 'what the plugin logged, masked');
    for (const secret of [TOKEN, HOOK_PATH, 'SECRET-PATH-77c1', HEADER]) assert.ok(!queenLog().includes(secret), secret);
  });
});
