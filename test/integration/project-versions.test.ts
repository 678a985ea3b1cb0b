/**
 * A project's settings version against a real queen and database: the strong ETag of its
 * answers, `If-Match` on PATCH (412 for a stale one, nothing written; 400 for a malformed
 * one), concurrent changes without a precondition that all land (none derived from a row
 * another one replaced), and job numbers that do not count as a change of the settings.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestQueen, type TestQueen } from '../helpers/queen.ts';

let queen: TestQueen;
before(async () => {
  queen = await startTestQueen();
});
after(() => queen.stop());

let names = 0;
const newProject = async () => {
  const res = await queen.api('POST', '/api/projects', { name: `versions-${++names}`, repoUrl: '/nowhere', defaultBranch: 'main' });
  assert.equal(res.status, 201);
  return res.body as { id: string; version: number };
};
const read = (id: string) => queen.api('GET', `/api/projects/${id}`);
const patch = (id: string, body: unknown, ifMatch?: string) =>
  queen.api('PATCH', `/api/projects/${id}`, body, ifMatch === undefined ? {} : { 'if-match': ifMatch });

describe('project versions', () => {
  it('answers a read whose If-None-Match is the current ETag with 304 and no body', async () => {
    const { id } = await newProject();
    const notModified = await queen.api('GET', `/api/projects/${id}`, undefined, { 'if-none-match': '"1"' });
    assert.equal(notModified.status, 304);
    assert.equal(notModified.headers.get('etag'), '"1"');
    assert.equal(notModified.text, '');
    assert.equal((await queen.api('GET', `/api/projects/${id}`, undefined, { 'if-none-match': 'W/"1", "7"' })).status, 304, 'compared weakly, in a list');
    assert.equal((await patch(id, { defaultPriority: 3 })).status, 200);
    const changed = await queen.api('GET', `/api/projects/${id}`, undefined, { 'if-none-match': '"1"' });
    assert.equal(changed.status, 200);
    assert.equal(changed.body.version, 2);
    assert.equal((await queen.api('GET', `/api/projects/${id}`, undefined, { 'if-none-match': 'garbage' })).status, 200, 'an unreadable header matches nothing');
  });

  it('writes nothing for an empty PATCH: the version stays, a stale If-Match is still refused', async () => {
    const { id } = await newProject();
    const res = await patch(id, {}, '"1"');
    assert.equal(res.status, 200);
    assert.equal(res.body.version, 1);
    assert.equal((await patch(id, { defaultPriority: 2 })).status, 200);
    assert.equal((await patch(id, {}, '"1"')).status, 412);
    assert.equal((await read(id)).body.version, 2);
  });

  it('deletes with If-Match only at that version: 412 when changed since, 404 when gone', async () => {
    const { id } = await newProject();
    assert.equal((await patch(id, { defaultPriority: 4 })).status, 200);
    const stale = await queen.api('DELETE', `/api/projects/${id}`, undefined, { 'if-match': '"1"' });
    assert.equal(stale.status, 412);
    assert.match(stale.body.error.message, /version 2.*not deleted/);
    assert.equal((await read(id)).status, 200, 'still there');
    assert.equal((await queen.api('DELETE', `/api/projects/${id}`, undefined, { 'if-match': 'nonsense' })).status, 400);
    assert.equal((await queen.api('DELETE', `/api/projects/${id}`, undefined, { 'if-match': '"2"' })).status, 204);
    assert.equal((await queen.api('DELETE', `/api/projects/${id}`, undefined, { 'if-match': '"2"' })).status, 404);
  });

  it('answers a project with its version and the same strong ETag', async () => {
    const created = await newProject();
    assert.equal(created.version, 1);
    const got = await read(created.id);
    assert.equal(got.status, 200);
    assert.equal(got.body.version, 1);
    assert.equal(got.headers.get('etag'), '"1"');
    assert.equal((await queen.api('HEAD', `/api/projects/${created.id}`)).headers.get('etag'), '"1"');
    const listed = (await queen.api('GET', '/api/projects')).body.projects.find((p: { id: string }) => p.id === created.id);
    assert.equal(listed.version, 1);
  });

  it('applies a PATCH whose If-Match is the current version, and counts the version up', async () => {
    const { id } = await newProject();
    const etag = (await read(id)).headers.get('etag')!;
    const res = await patch(id, { defaultBranch: 'develop' }, etag);
    assert.equal(res.status, 200);
    assert.equal(res.body.defaultBranch, 'develop');
    assert.equal(res.body.version, 2);
    assert.equal(res.headers.get('etag'), '"2"');
    // A list of ETags matches any of them.
    assert.equal((await patch(id, { defaultPriority: 5 }, '"1", "2"')).status, 200);
    assert.equal((await read(id)).body.version, 3);
  });

  it('refuses a PATCH made on an older version with 412, writing nothing', async () => {
    const { id } = await newProject();
    const opened = (await read(id)).headers.get('etag')!;
    assert.equal((await patch(id, { defaultBranch: 'theirs', secrets: { THEIRS: 'x' } })).status, 200);
    const res = await patch(id, { defaultBranch: 'mine', defaultPriority: 7, secrets: { MINE: 'y' } }, opened);
    assert.equal(res.status, 412);
    assert.equal(res.body.error.code, 'precondition_failed');
    assert.match(res.body.error.message, /changed since.*version 2/);
    const now = (await read(id)).body;
    assert.equal(now.defaultBranch, 'theirs');
    assert.equal(now.defaultPriority, 0);
    assert.deepEqual(now.secrets, ['THEIRS']);
    assert.equal(now.version, 2);
  });

  it('takes If-Match: * as any version', async () => {
    const { id } = await newProject();
    await patch(id, { defaultPriority: 1 });
    const res = await patch(id, { defaultPriority: 2 }, '*');
    assert.equal(res.status, 200);
    assert.equal(res.body.defaultPriority, 2);
    assert.equal(res.body.version, 3);
  });

  it('refuses a malformed If-Match with 400, writing nothing', async () => {
    const { id } = await newProject();
    for (const bad of ['1', 'W/"1"', '"one"', '"0"', '"1",', '', '"1" "2"', '"99999999999999999999"']) {
      const res = await patch(id, { defaultPriority: 9 }, bad);
      assert.equal(res.status, 400, `If-Match: ${bad}`);
      assert.equal(res.body.error.code, 'validation_error');
      assert.match(res.body.error.message, /If-Match/);
    }
    const now = (await read(id)).body;
    assert.equal(now.defaultPriority, 0);
    assert.equal(now.version, 1);
  });

  it('lands every one of concurrent PATCHes without If-Match, none derived from a replaced row', async () => {
    const { id } = await newProject();
    // Secrets are merged into the stored ones: a change derived from a row another change
    // replaced would drop that change's secret.
    const count = 8;
    const answers = await Promise.all(Array.from({ length: count }, (_, i) => patch(id, { secrets: { [`S${i}`]: `v${i}` } })));
    assert.deepEqual(answers.map((a) => a.status), Array(count).fill(200));
    const now = (await read(id)).body;
    assert.deepEqual(now.secrets, Array.from({ length: count }, (_, i) => `S${i}`).sort());
    assert.equal(now.version, 1 + count);
    // Each answer is one version of the row: all different.
    assert.equal(new Set(answers.map((a) => a.body.version)).size, count);
  });

  it('lands concurrent PATCHes of different fields, with schedules among them', async () => {
    const { id } = await newProject();
    const schedule = { name: 'nightly', cron: '0 3 * * *' };
    const answers = await Promise.all([
      patch(id, { schedules: [schedule] }),
      patch(id, { defaultBranch: 'develop' }),
      patch(id, { secrets: { A: '1' } }),
      patch(id, { maxConcurrent: 2 }),
    ]);
    assert.deepEqual(answers.map((a) => a.status), [200, 200, 200, 200]);
    const now = (await read(id)).body;
    assert.deepEqual(now.schedules, [schedule]);
    assert.equal(now.defaultBranch, 'develop');
    assert.deepEqual(now.secrets, ['A']);
    assert.equal(now.maxConcurrent, 2);
    assert.equal(now.version, 5);
    const listed = await queen.api('GET', `/api/projects/${id}/schedules`);
    assert.equal(listed.body.schedules[0].name, 'nightly');
  });

  it('does not count a triggered job as a change of the settings', async () => {
    const { id } = await newProject();
    for (let i = 0; i < 3; i++) assert.equal((await queen.api('POST', `/api/projects/${id}/jobs`, { branch: 'main' })).status, 201);
    const got = await read(id);
    assert.equal(got.body.version, 1);
    assert.equal(got.headers.get('etag'), '"1"');
    // …so a change made on the version read before the jobs still applies.
    assert.equal((await patch(id, { defaultPriority: 3 }, '"1"')).status, 200);
  });

  it('counts a new webhook secret as a change, and says the new version', async () => {
    const { id } = await newProject();
    const res = await queen.api('POST', `/api/projects/${id}/webhook-secret`);
    assert.equal(res.status, 200);
    assert.equal(res.body.version, 2);
    assert.equal(res.headers.get('etag'), '"2"');
    assert.equal((await patch(id, { defaultPriority: 3 }, '"1"')).status, 412);
  });

  it('answers 404, not 412, for a project that does not exist', async () => {
    const res = await patch('00000000-0000-4000-8000-000000000000', { defaultPriority: 1 }, '"1"');
    assert.equal(res.status, 404);
  });
});
