/**
 * A private repository: served over HTTP by git-http-backend behind Basic auth, built
 * from a webhook by a real queen (which fetches it to read .hive.yml) and a real drone
 * (which clones it), with a token that must never show up anywhere users or logs see.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { pino } from 'pino';
import { findJob } from '../../server/db/jobs.ts';
import { connectDrone, type TestDrone } from '../helpers/drone-process.ts';
import { serveRepoOverHttp, type GitHttpServer } from '../helpers/git-http-server.ts';
import { createGitRepo, type GitRepo } from '../helpers/git-repo.ts';
import { startTestQueen, type TestQueen } from '../helpers/queen.ts';
import { sendGithubHook } from '../helpers/webhook-sender.ts';

const exec = promisify(execFile);
const TOKEN = 'tok_Pr1vate-Repo-Secret-7c1f';
const BASIC = Buffer.from(`x-access-token:${TOKEN}`).toString('base64');

let queen: TestQueen;
let drone: TestDrone;
let repo: GitRepo;
let http: GitHttpServer;
let queenLog = '';

before(async () => {
  repo = await createGitRepo({
    files: { '.hive.yml': 'phases:\n  test:\n    - echo "private build of $HIVE_COMMIT"\n    - git remote -v\n' },
  });
  http = await serveRepoOverHttp(repo, { username: 'x-access-token', password: TOKEN });
  // The queen's whole log, at debug level and without pino's redaction: nothing may need it.
  const log = pino({ level: 'debug' }, { write: (line: string) => void (queenLog += line) });
  queen = await startTestQueen({}, undefined, { log });
  drone = await connectDrone(queen, { name: 'private-builder' });
});
after(async () => {
  await drone?.stop();
  await queen?.stop();
  await http?.close();
  await repo?.cleanup();
});

/** Files under `dir` that contain `text` (git's config, caches, workspaces …). */
async function filesContaining(dir: string, text: string): Promise<string[]> {
  const found = await exec('grep', ['-rl', '--binary-files=text', text, dir]).catch((err) => (err.code === 1 ? { stdout: '' } : Promise.reject(err)));
  return found.stdout.split('\n').filter(Boolean);
}

function pushPayload(fullName: string, sha: string) {
  return {
    ref: 'refs/heads/main', before: '0'.repeat(40), after: sha, created: false, deleted: false, forced: false,
    compare: `https://github.com/${fullName}/compare/x...y`,
    head_commit: { id: sha, message: 'private change', url: `https://github.com/${fullName}/commit/${sha}`, author: { name: 'A', email: 'a@example.com', username: 'a' } },
    repository: { full_name: fullName, clone_url: `https://github.com/${fullName}.git`, html_url: `https://github.com/${fullName}` },
    pusher: { name: 'a', email: 'a@example.com' },
    sender: { login: 'a', avatar_url: 'https://avatars.example.com/a' },
  };
}

describe('private repositories', () => {
  it('clones with the project token on queen and drone, and the token appears in no log, API answer or stored spec', async () => {
    const created = await queen.api('POST', '/api/projects', {
      name: 'private', repoUrl: http.url, provider: 'github', forgeRepo: 'hive-test/private',
      credentials: { password: TOKEN },
    });
    assert.equal(created.status, 201, created.text);
    assert.deepEqual(created.body.credentials, { type: 'https', username: null });
    const sha = await repo.head('main');
    const res = await sendGithubHook(queen.url, 'push', pushPayload('hive-test/private', sha), { secret: created.body.webhookSecret });
    assert.equal(res.status, 202, res.text);
    const [jobId] = res.body.jobs;
    const job = await queen.waitForJob(jobId);
    assert.equal(job.status, 'passed', job.message ?? '');

    const log = (await queen.api('GET', `/api/jobs/${jobId}/log`)).text;
    assert.match(log, new RegExp(`private build of ${sha}`), 'the queen read .hive.yml from the private repository');
    assert.match(log, new RegExp(`origin\\s+${http.url.replace(/[.]/g, '\\.')} \\(fetch\\)`), 'the workspace remote has no credentials');
    assert.ok(http.authorizations.filter((a) => a === `Basic ${BASIC}`).length >= 2, 'queen and drone both authenticated');

    const seen: Record<string, string> = {
      'queen log': queenLog,
      'drone output': drone.output(),
      'job log': log,
      'job API': (await queen.api('GET', `/api/jobs/${jobId}`)).text,
      'job list API': (await queen.api('GET', `/api/projects/${created.body.id}/jobs`)).text,
      'project API': (await queen.api('GET', `/api/projects/${created.body.id}`)).text,
      'projects API': (await queen.api('GET', '/api/projects')).text,
      'deliveries API': (await queen.api('GET', `/api/projects/${created.body.id}/webhook-deliveries`)).text,
      'stored job': JSON.stringify(await findJob(queen.testDb.db, jobId)),
    };
    assert.ok(queenLog.includes('job resolved') && drone.output().length > 0, 'the logs were captured');
    for (const [where, text] of Object.entries(seen)) {
      assert.ok(!text.includes(TOKEN), `the token leaked into the ${where}`);
      assert.ok(!text.includes(BASIC), `the Basic credentials leaked into the ${where}`);
    }
    assert.deepEqual(await filesContaining(queen.dataDir, TOKEN), [], 'no file of the queen (mirror config …) holds the token');
    assert.deepEqual(await filesContaining(drone.dataDir, TOKEN), [], 'no file of the drone holds the token');
  });

  it('fails fast and clearly without credentials, or with a wrong token, showing no token', async () => {
    const created = await queen.api('POST', '/api/projects', { name: 'private-nocreds', repoUrl: http.url, forgeRepo: 'hive-test/nocreds' });
    const sha = await repo.head('main');
    const send = () => sendGithubHook(queen.url, 'push', pushPayload('hive-test/nocreds', sha), { secret: created.body.webhookSecret });
    const without = await queen.waitForJob((await send()).body.jobs[0]);
    assert.equal(without.status, 'errored');
    assert.match(without.message ?? '', new RegExp(`Could not fetch branch "main" from ${http.url.replace(/[.]/g, '\\.')}`));

    const wrong = 'tok_Wrong-Secret-Value-99';
    await queen.api('PATCH', `/api/projects/${created.body.id}`, { credentials: { username: 'bot', password: wrong } });
    const rejected = await queen.waitForJob((await send()).body.jobs[0]);
    assert.equal(rejected.status, 'errored');
    assert.match(rejected.message ?? '', /Could not fetch/);
    assert.ok(!rejected.message?.includes(wrong));
    assert.ok(!queenLog.includes(wrong), 'the wrong token is not logged either');
  });
});
