/**
 * The queen stores a job event's JSON cut from the drone's frame (stored-event-json.ts):
 * only when the frame holds exactly the validated members, with jobId and lease first —
 * and what it stores parses to the validated event without them.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { parseDroneMessage, type JobEvent } from '../../common/protocol/index.ts';
import { storedJsonOf } from '../../common/protocol/stored-event-json.ts';
import { toStoredEvent } from '../../server/db/job-log.ts';

const jobId = '4a95c931-a0ff-47fb-b157-ef2b679b6073';
const lease = 'dd705e18-949f-439c-b5d6-4edfc6c696ef';

it('keeps the frame text of an event written as the drone writes it, which parses to the stored event', () => {
  const frame = JSON.stringify({ jobId, lease, type: 'job:cmd:stdout', cmd: 2, data: 'a "quoted"\nline\u00e9\n', seq: 7, at: 1700000000000 });
  const event = parseDroneMessage(Buffer.from(frame)) as JobEvent;
  const stored = toStoredEvent(event);
  const json = storedJsonOf(stored);
  assert.ok(json, 'the frame text was kept');
  assert.deepEqual(JSON.parse(json), stored);
  assert.equal(json, JSON.stringify({ type: 'job:cmd:stdout', cmd: 2, data: 'a "quoted"\nline\u00e9\n', seq: 7, at: 1700000000000 }));
});

it('serializes as before a frame with members the schema drops, or with jobId and lease elsewhere', () => {
  const extra = JSON.stringify({ jobId, lease, type: 'job:log', data: 'x\n', seq: 1, at: 1, injected: { html: '<b>' } });
  const event = parseDroneMessage(extra) as JobEvent;
  assert.equal(storedJsonOf(toStoredEvent(event)), undefined);
  assert.equal('injected' in toStoredEvent(event), false);

  const otherOrder = JSON.stringify({ type: 'job:log', jobId, lease, data: 'x\n', seq: 1, at: 1 });
  assert.equal(storedJsonOf(toStoredEvent(parseDroneMessage(otherOrder) as JobEvent)), undefined);

  // A repeated key: JSON.parse keeps the last, and so does the prefix check.
  const repeated = `{"jobId":"${jobId}","lease":"${lease}","type":"job:log","data":"x\\n","seq":1,"at":1,"jobId":"${lease}"}`;
  assert.equal(storedJsonOf(toStoredEvent(parseDroneMessage(repeated) as JobEvent)), undefined);
});
