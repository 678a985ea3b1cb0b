import assert from 'node:assert/strict';
import { it } from 'node:test';
import { CallsInFlight } from '../../server/git/calls-in-flight.ts';

/** A call the test ends by hand. */
function handCall() {
  let end!: () => void;
  let fail!: (err: Error) => void;
  const promise = new Promise<string>((resolve, reject) => {
    end = () => resolve('answer');
    fail = reject;
  });
  return { call: () => promise, end, fail };
}

it('drains at once with no call running, and otherwise once the last call has ended, failed or not', async () => {
  const calls = new CallsInFlight();
  await calls.drain(60_000);
  const a = handCall();
  const b = handCall();
  const answers = [calls.track(a.call), calls.track(b.call).catch((err: Error) => err.message)];
  let drained = false;
  const draining = calls.drain(60_000).then(() => { drained = true; });
  a.end();
  await answers[0];
  assert.equal(drained, false, 'one call still runs');
  b.fail(new Error('gone'));
  await draining;
  assert.deepEqual(await Promise.all(answers), ['answer', 'gone'], 'each caller gets its own outcome');
});

it('counts a call that throws before it returns a promise as ended', async () => {
  const calls = new CallsInFlight();
  await assert.rejects(calls.track(() => { throw new Error('at once'); }), /at once/);
  await calls.drain(60_000);
});

it('gives up waiting after its bound (a stuck call), running `meanwhile` until then', async () => {
  const calls = new CallsInFlight();
  const stuck = handCall();
  void calls.track(stuck.call);
  let runs = 0;
  await calls.drain(180, () => runs++);
  assert.ok(runs >= 1, `meanwhile ran ${runs} times`);
  stuck.end();
});
