/** Why a queued job waits: each reason from the state that causes it, most fundamental first. */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { DroneCandidate } from '../../server/scheduler/select-drone.ts';
import { waitReason, type WaitingJob } from '../../server/scheduler/wait-reason.ts';
import { effectivePriority } from '../../server/scheduler/queue-view.ts';

const drone = (name: string, over: Partial<DroneCandidate> = {}): DroneCandidate => ({
  id: name, name, labels: [], plugins: [], capacity: 1, running: 0, speed: 1, draining: false, ...over,
});
const job = (over: Partial<WaitingJob> = {}): WaitingJob => ({
  requires: { labels: [], plugins: [] }, maxConcurrent: null, projectActive: 0, ...over,
});

it('a job without a spec is still being resolved', () => {
  assert.equal(waitReason(job({ requires: null }), [drone('a')]).kind, 'resolving');
});

it('a project at its limit waits for its own jobs, whatever the drones', () => {
  const r = waitReason(job({ maxConcurrent: 2, projectActive: 2 }), [drone('a')]);
  assert.deepEqual([r.kind, r.text], ['project-limit', 'project limit reached: 2 of 2 running']);
  assert.equal(waitReason(job({ maxConcurrent: 2, projectActive: 1 }), [drone('a')]).kind, 'ready');
});

it('names the labels and plugins no connected drone has', () => {
  assert.equal(waitReason(job(), []).text, 'no drone is connected');
  const drones = [drone('a', { labels: ['linux'] }), drone('b', { labels: ['gpu'], plugins: ['docker'] })];
  assert.equal(waitReason(job({ requires: { labels: ['gpu', 'arm', 'linux'], plugins: [] } }), drones).text, 'no connected drone has label arm');
  assert.equal(waitReason(job({ requires: { labels: ['arm', 'x'], plugins: [] } }), drones).text, 'no connected drone has labels arm, x');
  assert.equal(waitReason(job({ requires: { labels: [], plugins: ['node'] } }), drones).text, 'no connected drone has plugin node');
  // Every label exists, but on different drones.
  assert.equal(
    waitReason(job({ requires: { labels: ['linux', 'gpu'], plugins: [] } }), drones).text,
    'no connected drone has all of label linux, label gpu',
  );
});

it('tells draining from full, and says which drone takes it when one is free', () => {
  const needs = { labels: ['gpu'], plugins: [] };
  assert.equal(waitReason(job({ requires: needs }), [drone('g', { labels: ['gpu'], draining: true })]).text, 'every eligible drone is draining (g)');
  const full = [drone('g1', { labels: ['gpu'], running: 1 }), drone('g2', { labels: ['gpu'], capacity: 2, running: 2 }), drone('cpu')];
  assert.equal(waitReason(job({ requires: needs }), full).text, 'every eligible drone is full (2 drones, 3 slots)');
  const free = waitReason(job({ requires: needs }), [...full, drone('g3', { labels: ['gpu'], capacity: 4, running: 3 })]);
  assert.equal(free.kind, 'ready');
  assert.equal(free.kind === 'ready' && free.drone.name, 'g3');
});

it('effective priority gains a point per full minute waited', () => {
  const createdAt = new Date('2026-01-01T00:00:00Z');
  const at = (ms: number) => effectivePriority({ priority: -5, createdAt }, createdAt.getTime() + ms);
  assert.deepEqual([at(0), at(59_999), at(60_000), at(30 * 60_000 + 1)], [-5, -5, -4, 25]);
});
