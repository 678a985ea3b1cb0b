import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { selectDrone, type DroneCandidate } from '../../server/scheduler/select-drone.ts';

const drone = (name: string, over: Partial<DroneCandidate> = {}): DroneCandidate => ({
  id: name, name, labels: [], plugins: [], capacity: 2, running: 0, speed: 1, draining: false, ...over,
});
const any = { labels: [], plugins: [] };

describe('selectDrone', () => {
  it('picks the fastest drone with a free slot', () => {
    const picked = selectDrone([drone('a', { speed: 1 }), drone('b', { speed: 3 }), drone('c', { speed: 2 })], any);
    assert.equal(picked?.name, 'b');
  });

  it('breaks speed ties by the lowest load relative to capacity', () => {
    const picked = selectDrone([
      drone('a', { capacity: 2, running: 1 }), // 50 %
      drone('b', { capacity: 8, running: 2 }), // 25 %
      drone('c', { capacity: 4, running: 3 }), // 75 %
    ], any);
    assert.equal(picked?.name, 'b');
  });

  it('breaks full ties by name so the choice is deterministic', () => {
    assert.equal(selectDrone([drone('z'), drone('m'), drone('q')], any)?.name, 'm');
  });

  it('skips a faster drone that is full', () => {
    const picked = selectDrone([drone('fast', { speed: 9, capacity: 1, running: 1 }), drone('slow', { speed: 1 })], any);
    assert.equal(picked?.name, 'slow');
  });

  it('requires every label and plugin the job needs', () => {
    const drones = [
      drone('plain', { speed: 9 }),
      drone('gpu', { labels: ['gpu', 'linux'] }),
      drone('gpu-node', { labels: ['gpu', 'linux'], plugins: ['node'], speed: 0.5 }),
    ];
    assert.equal(selectDrone(drones, { labels: ['gpu'], plugins: [] })?.name, 'gpu');
    assert.equal(selectDrone(drones, { labels: ['gpu'], plugins: ['node'] })?.name, 'gpu-node');
    assert.equal(selectDrone(drones, { labels: ['arm'], plugins: [] }), undefined);
  });

  it('never picks a draining drone or one with no capacity', () => {
    const drones = [drone('draining', { draining: true, speed: 5 }), drone('zero', { capacity: 0, speed: 4 })];
    assert.equal(selectDrone(drones, any), undefined);
  });

  it('when every eligible drone is full, answers none: the job waits for the first freed slot', () => {
    const drones = [drone('a', { capacity: 1, running: 1 }), drone('b', { capacity: 2, running: 2, speed: 5 })];
    assert.equal(selectDrone(drones, any), undefined);
    // The first drone to free a slot takes it, even the slower one.
    drones[0].running = 0;
    assert.equal(selectDrone(drones, any)?.name, 'a');
  });

  it('answers none when there are no drones', () => {
    assert.equal(selectDrone([], any), undefined);
  });
});
