/**
 * `/api/events`: a subscriber that joins mid-job gets the earlier output, then the rest
 * live — in order, with no gap and no duplicate; one that resumes gets only what it missed.
 */
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { WebSocket } from 'ws';
import { connectDrone, type TestDrone } from '../helpers/drone-process.ts';
import { openEventsClient } from '../helpers/events-client.ts';
import { createGitRepo, type GitRepo } from '../helpers/git-repo.ts';
import { ADMIN_TOKEN, startTestQueen, waitForOutput, type TestQueen } from '../helpers/queen.ts';

let queen: TestQueen;
let drone: TestDrone;
let repo: GitRepo;

before(async () => {
  // Pings every minute: the test's paused reader must not be dropped as a dead peer while
  // it is paused (a real frozen tab would be, and would resume after reconnecting).
  queen = await startTestQueen({ HIVE_HEARTBEAT_MS: '30000' });
  repo = await createGitRepo({ files: { 'lines.sh': 'i=1\nwhile [ $i -le 40 ]; do echo "line $i"; i=$((i+1)); sleep 0.03; done\n' } });
  drone = await connectDrone(queen, { name: 'streamer', capacity: 1 });
});
after(async () => {
  await drone?.stop();
  await queen?.stop();
  await repo?.cleanup();
});

const expectedLines = Array.from({ length: 40 }, (_, i) => `line ${i + 1}`).join('\n') + '\n';

function assertContiguous(events: { seq: number }[], from = 1) {
  events.forEach((e, i) => assert.equal(e.seq, from + i, `seq ${e.seq} at position ${i} (expected ${from + i})`));
}

it('sends a mid-job subscriber the earlier output, then the rest, without gaps or duplicates', async () => {
  const project = (await queen.api('POST', '/api/projects', {
    name: 'stream', repoUrl: repo.url, config: { phases: { test: ['sh lines.sh'] } },
  })).body;
  const jobId = (await queen.api('POST', `/api/projects/${project.id}/jobs`, {})).body.id;
  await waitForOutput(queen, jobId, /line 8\n/);

  const client = await openEventsClient(queen.url);
  client.send({ type: 'subscribe', jobId });
  const first = await client.waitFor((m) => m.type === 'job');
  assert.equal(first.job.id, jobId);
  // Wait for the final status, then for every event up to the job's last seq.
  const done = await client.waitFor((m) => m.type === 'job' && m.job.status === 'passed');
  await client.waitFor(() => {
    const all = client.messages.filter((m) => m.type === 'events').flatMap((m) => m.events);
    return all.length > 0 && all[all.length - 1].seq === done.job.lastSeq;
  });
  const events = client.messages.filter((m) => m.type === 'events').flatMap((m) => m.events);
  assertContiguous(events);
  assert.ok(client.messages.filter((m) => m.type === 'events').length > 1, 'history and live output came in several messages');
  const stdout = events.filter((e) => e.type === 'job:cmd:stdout').map((e) => e.data).join('');
  assert.equal(stdout, expectedLines);
  assert.equal(events[events.length - 1].type, 'job:done');

  // Resuming after seq k yields exactly k+1 … end.
  const resumeFrom = Math.floor(events.length / 2);
  const again = await openEventsClient(queen.url);
  again.send({ type: 'subscribe', jobId, after: resumeFrom });
  await again.waitFor(() => {
    const got = again.messages.filter((m) => m.type === 'events').flatMap((m) => m.events);
    return got.length > 0 && got[got.length - 1].seq === done.job.lastSeq;
  });
  const resumed = again.messages.filter((m) => m.type === 'events').flatMap((m) => m.events);
  assertContiguous(resumed, resumeFrom + 1);
  client.close();
  again.close();
});

it('never lets a subscriber that stops reading slow the build, and still gives it every line', async () => {
  const project = (await queen.api('POST', '/api/projects', {
    // About 20 MB of output: far more than the socket and the server's send buffer hold.
    name: 'firehose', repoUrl: repo.url, config: { phases: { prepare: ["head -c 20000000 /dev/zero | tr '\\0' x | fold -w 99"] } },
  })).body;
  const ws = new WebSocket(`${queen.url.replace('http', 'ws')}/api/events`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
  await new Promise((resolve) => ws.once('open', resolve));
  const jobId = (await queen.api('POST', `/api/projects/${project.id}/jobs`, {})).body.id;
  const received: { type: string; events?: { seq: number; type: string; data?: string }[]; job?: { status: string; lastSeq: number } }[] = [];
  ws.on('message', (raw) => received.push(JSON.parse(raw.toString())));
  ws.send(JSON.stringify({ type: 'subscribe', jobId }));
  await new Promise<void>((resolve) => ws.once('message', () => resolve()));
  ws.pause(); // a browser tab that stopped reading

  const job = await queen.waitForJob(jobId, ['passed', 'failed', 'errored'], 120_000);
  assert.equal(job.status, 'passed', 'the build finished while its subscriber read nothing');

  ws.resume();
  const all = () => received.filter((m) => m.type === 'events').flatMap((m) => m.events!);
  // Each message that arrives may be the last one; nothing spins while waiting.
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`only ${all().length} of ${job.lastSeq} events arrived`)), 60_000);
    const check = () => {
      if (all().at(-1)?.seq !== job.lastSeq) return;
      ws.off('message', check);
      clearTimeout(timer);
      resolve();
    };
    ws.on('message', check);
    check();
  });
  const events = all();
  events.forEach((e, i) => assert.equal(e.seq, i + 1));
  const bytes = events.filter((e) => e.type === 'job:cmd:stdout').reduce((n, e) => n + e.data!.length, 0);
  assert.equal(bytes, 20_000_000 + Math.floor(20_000_000 / 99), 'every byte and newline arrived');
  ws.close();
});

it('answers bad subscriptions with an error and keeps the socket', async () => {
  const client = await openEventsClient(queen.url);
  client.send({ type: 'subscribe', jobId: '00000000-0000-4000-8000-000000000000' });
  assert.equal((await client.waitFor((m) => m.type === 'error')).code, 'not_found');
  client.send({ type: 'dance' });
  await client.waitFor((m) => m.type === 'error' && m.code === 'protocol_error');
  client.close();
});

it('refuses a socket without a valid token', async () => {
  const ws = new WebSocket(`${queen.url.replace('http', 'ws')}/api/events?token=wrong`);
  const status = await new Promise<number>((resolve) => ws.once('unexpected-response', (_req, res) => resolve(res.statusCode!)));
  assert.equal(status, 401);
});
