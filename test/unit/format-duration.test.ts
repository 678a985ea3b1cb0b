import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatDuration } from '../../common/format-duration.ts';

describe('formatDuration', () => {
  it('writes milliseconds, seconds, minutes and hours, dropping a zero remainder', () => {
    const cases: [number, string][] = [
      [850, '850 ms'], [2_000, '2 s'], [12_400, '12 s'], [184_000, '3 min 4 s'], [600_000, '10 min'],
      [3_720_000, '1 h 2 min'], [7_200_000, '2 h'],
    ];
    for (const [ms, text] of cases) assert.equal(formatDuration(ms), text, String(ms));
  });

  it('is compact for forges, in whole seconds', () => {
    const cases: [number, string][] = [[400, '0s'], [850, '1s'], [12_000, '12s'], [75_000, '1m 15s'], [120_000, '2m'], [3_720_000, '1h 2m']];
    for (const [ms, text] of cases) assert.equal(formatDuration(ms, { compact: true }), text, String(ms));
  });

  it('writes a dash for what is unknown or impossible', () => {
    for (const ms of [null, undefined, Number.NaN, -1]) assert.equal(formatDuration(ms), '—');
  });
});
