import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PeerLiveness } from '../../common/peer-liveness.ts';

describe('peer liveness', () => {
  it('pings only after a period of silence, and only then', () => {
    const peer = new PeerLiveness(1);
    assert.equal(peer.tick(), 'heard', 'a new peer counts as just heard');
    assert.equal(peer.tick(), 'ping', 'silence: ask');
    peer.heard();
    assert.equal(peer.tick(), 'heard', 'the pong came: nothing to send');
    for (let i = 0; i < 5; i++) {
      peer.heard(); // a peer that keeps talking (its own pings, messages) is never pinged
      assert.equal(peer.tick(), 'heard');
    }
  });

  it('calls a peer dead after maxUnanswered pings went unanswered, and not before', () => {
    const once = new PeerLiveness(1);
    once.tick();
    assert.deepEqual([once.tick(), once.tick()], ['ping', 'dead']);

    const twice = new PeerLiveness(2);
    twice.tick();
    assert.deepEqual([twice.tick(), twice.tick(), twice.tick()], ['ping', 'ping', 'dead']);
  });

  it('an answer resets the count of unanswered pings', () => {
    const peer = new PeerLiveness(2);
    peer.tick();
    assert.equal(peer.tick(), 'ping');
    peer.heard();
    assert.equal(peer.tick(), 'heard');
    assert.deepEqual([peer.tick(), peer.tick(), peer.tick()], ['ping', 'ping', 'dead']);
  });

  it('remembers when the peer was last heard', () => {
    const peer = new PeerLiveness(1);
    const before = peer.heardAt;
    assert.ok(Math.abs(before - Date.now()) < 1000);
    peer.tick();
    peer.tick();
    assert.equal(peer.heardAt, before, 'ticks are not hearing');
    const t = Date.now();
    peer.heard();
    assert.ok(peer.heardAt >= t);
  });
});
