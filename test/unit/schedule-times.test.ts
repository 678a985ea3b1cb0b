/**
 * Cron arithmetic and validation of schedules, without a queen: due times of five- and
 * six-field expressions and time zones, the timer's delay (setTimeout's 24.8-day limit),
 * which edits restart a schedule, and the API's checks with messages naming the schedule.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { z } from 'zod';
import { CronError, cronTimes } from '../../server/schedules/cron-times.ts';
import { MAX_TIMER_MS, timerDelay } from '../../server/schedules/schedule-loop.ts';
import { restartedSchedules } from '../../server/schedules/schedule-changes.ts';
import { schedulesSchema } from '../../server/schedules/schedule-schema.ts';
import { scheduleView } from '../../server/schedules/schedule-view.ts';
import { branchName } from '../../server/routes/api-schemas.ts';
import { describeZodError } from '../../server/jobs/repo-config.ts';

const at = (iso: string) => new Date(iso);
const iso = (d: Date | null) => d?.toISOString() ?? null;

describe('cronTimes', () => {
  it('reads five fields as minute hour day month weekday, and six with seconds first', () => {
    const daily = cronTimes('30 3 * * *', 'UTC');
    assert.equal(iso(daily.next(at('2026-01-01T00:00:00Z'))), '2026-01-01T03:30:00.000Z');
    assert.equal(iso(daily.latest(at('2026-01-01T00:00:00Z'))), '2025-12-31T03:30:00.000Z');
    const everyTwo = cronTimes('*/2 * * * * *', 'UTC');
    assert.equal(iso(everyTwo.next(at('2026-01-01T00:00:00.500Z'))), '2026-01-01T00:00:02.000Z');
    assert.equal(iso(everyTwo.latest(at('2026-01-01T00:00:03.999Z'))), '2026-01-01T00:00:02.000Z');
  });

  it('counts a due time equal to the reference as latest, not as next', () => {
    const everyTwo = cronTimes('*/2 * * * * *', 'UTC');
    assert.equal(iso(everyTwo.latest(at('2026-01-01T00:00:02.000Z'))), '2026-01-01T00:00:02.000Z');
    assert.equal(iso(everyTwo.next(at('2026-01-01T00:00:02.000Z'))), '2026-01-01T00:00:04.000Z');
  });

  it('reads times in the given zone, across daylight saving time', () => {
    const ny = cronTimes('0 3 * * *', 'America/New_York');
    assert.equal(iso(ny.next(at('2026-01-10T00:00:00Z'))), '2026-01-10T08:00:00.000Z'); // EST, UTC−5
    assert.equal(iso(ny.next(at('2026-07-10T00:00:00Z'))), '2026-07-10T07:00:00.000Z'); // EDT, UTC−4
  });

  it('takes names, ranges, steps and nicknames', () => {
    assert.equal(iso(cronTimes('0 9 * * MON-FRI', 'UTC').next(at('2026-01-03T00:00:00Z'))), '2026-01-05T09:00:00.000Z'); // Sat → Mon
    assert.equal(iso(cronTimes('@daily', 'UTC').next(at('2026-01-01T12:00:00Z'))), '2026-01-02T00:00:00.000Z');
  });

  it('refuses a wrong number of fields, bad values, an unknown zone and dates that never come', () => {
    assert.throws(() => cronTimes('* * * *'), (e: Error) => e instanceof CronError && /has 4 fields; a cron expression has five .* or six/.test(e.message));
    assert.throws(() => cronTimes('* * * * * * *'), /has 7 fields/);
    assert.throws(() => cronTimes('61 * * * *'), (e: Error) => e instanceof CronError && /"61 \* \* \* \*" is not a valid cron expression: .*minute/i.test(e.message));
    assert.throws(() => cronTimes('every day'), /has 2 fields/);
    assert.throws(() => cronTimes('0 0 30 2 *'), /is never due/);
    assert.throws(() => cronTimes('0 3 * * *', 'Mars/Olympus'), /"Mars\/Olympus" is not a time zone/);
  });
});

describe('timerDelay', () => {
  const now = at('2026-01-01T00:00:00.000Z');

  it('sleeps until just past the next due time', () => {
    assert.equal(timerDelay(now, at('2026-01-01T00:00:02.000Z'), 60_000), 2001);
  });

  it('wakes at the refresh period at the latest, and after at least a millisecond', () => {
    assert.equal(timerDelay(now, at('2026-01-01T05:00:00Z'), 60_000), 60_000);
    assert.equal(timerDelay(now, at('2025-12-31T00:00:00Z'), 60_000), 1);
    assert.equal(timerDelay(now, null, 60_000), 60_000);
  });

  it('never asks setTimeout for more than 2^31−1 ms, which it would run at once', () => {
    assert.equal(timerDelay(now, at('2026-03-01T00:00:00Z'), Infinity), MAX_TIMER_MS);
    assert.equal(timerDelay(now, null, Infinity), MAX_TIMER_MS);
    assert.ok(MAX_TIMER_MS < 25 * 24 * 3600_000);
  });
});

describe('restartedSchedules', () => {
  const nightly = { name: 'nightly', cron: '0 3 * * *' };
  it('restarts new schedules, changed expressions or zones and schedules enabled again', () => {
    assert.deepEqual(restartedSchedules([], [nightly]), ['nightly']);
    assert.deepEqual(restartedSchedules([nightly], [{ ...nightly, cron: '0 4 * * *' }]), ['nightly']);
    assert.deepEqual(restartedSchedules([nightly], [{ ...nightly, timezone: 'UTC' }]), ['nightly']);
    assert.deepEqual(restartedSchedules([{ ...nightly, enabled: false }], [{ ...nightly, enabled: true }]), ['nightly']);
    assert.deepEqual(restartedSchedules([{ ...nightly, enabled: false }], [nightly]), ['nightly']);
  });
  it('keeps the firings of schedules whose timing did not change', () => {
    assert.deepEqual(restartedSchedules([nightly], [{ ...nightly, branch: 'develop', type: 'TEST_AND_DEPLOY', params: { A: '1' } }]), []);
    assert.deepEqual(restartedSchedules([nightly], [{ ...nightly, enabled: false }]), []);
  });
});

describe('schedulesSchema', () => {
  const schema = z.object({ schedules: schedulesSchema(branchName) });
  const problem = (schedules: unknown) => {
    const result = schema.safeParse({ schedules });
    return result.success ? undefined : describeZodError(result.error);
  };

  it('accepts five and six fields, a branch, a type, params, a zone and enabled', () => {
    assert.equal(problem([
      { name: 'nightly', cron: '0 3 * * *', branch: 'main', type: 'TEST_AND_DEPLOY', params: { TARGET: 'staging' }, enabled: true, timezone: 'Europe/Berlin' },
      { name: 'fast one', cron: '*/10 * * * * *', enabled: false },
    ]), undefined);
  });

  it('names the schedule whose cron expression is wrong, and the field', () => {
    assert.equal(problem([{ name: 'ok', cron: '@hourly' }, { name: 'nightly', cron: '0 25 * * *' }]),
      'schedules[1].cron: schedule "nightly": "0 25 * * *" is not a valid cron expression: Invalid value for hour: 25');
    assert.match(problem([{ name: 'weekly', cron: '* * *' }])!, /^schedules\[0\]\.cron: schedule "weekly": "\* \* \*" has 3 fields/);
    assert.match(problem([{ name: 'x', cron: '0 3 * * *', timezone: 'Nowhere' }])!, /^schedules\[0\]\.timezone: schedule "x": "Nowhere" is not a time zone/);
  });

  it('refuses a name used twice, unknown keys and bad branches', () => {
    assert.match(problem([{ name: 'a', cron: '@daily' }, { name: 'a', cron: '@hourly' }])!, /schedules\[1\]\.name: schedule "a" is named twice/);
    assert.match(problem([{ name: 'a', cron: '@daily', when: 'now' }])!, /schedules\[0\]/);
    assert.match(problem([{ name: 'a', cron: '@daily', branch: 'a..b' }])!, /schedules\[0\]\.branch/);
    assert.match(problem([{ name: 'a/b', cron: '@daily' }])!, /schedules\[0\]\.name/);
  });
});

describe('scheduleView', () => {
  it('fills in the defaults and the next firing; none for a disabled schedule', () => {
    const now = at('2026-01-01T00:00:00Z');
    const view = scheduleView({ name: 'n', cron: '0 3 * * *', timezone: 'UTC' }, now);
    assert.deepEqual(view, {
      name: 'n', cron: '0 3 * * *', branch: null, type: 'TEST', params: {}, enabled: true,
      timezone: 'UTC', queenTimezone: false, nextAt: '2026-01-01T03:00:00.000Z',
    });
    assert.equal(scheduleView({ name: 'n', cron: '0 3 * * *', enabled: false }, now).nextAt, null);
    assert.equal(scheduleView({ name: 'n', cron: '0 3 * * *' }, now).queenTimezone, true);
  });
});
