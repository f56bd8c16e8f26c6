import { describe, expect, it } from 'vitest';
import { nextFireTimes, parseGoDuration, parseTimerExpression } from '../../../local/runtime/schedule';

const from = new Date('2024-01-01T00:00:00Z');
const iso = (dates: Date[]) => dates.map((d) => d.toISOString());

describe('parseTimerExpression', () => {
  it('reads six fields with seconds first, in UTC by default', () => {
    const schedule = parseTimerExpression('0 0 4 * * *');
    expect(schedule).toMatchObject({ kind: 'cron', timezone: 'UTC' });
    expect(iso(nextFireTimes(schedule, from, 2))).toEqual(['2024-01-01T04:00:00.000Z', '2024-01-02T04:00:00.000Z']);
  });

  it('fires every second for `* * * * * *`', () => {
    expect(iso(nextFireTimes(parseTimerExpression('* * * * * *'), from, 3))).toEqual([
      '2024-01-01T00:00:01.000Z',
      '2024-01-01T00:00:02.000Z',
      '2024-01-01T00:00:03.000Z',
    ]);
  });

  it('honours a CRON_TZ prefix (the docs/fc-runtime.md example: 04:00 Beijing time on the 1st)', () => {
    const schedule = parseTimerExpression('CRON_TZ=Asia/Shanghai 0 0 4 1 * *');
    expect(schedule).toMatchObject({ kind: 'cron', timezone: 'Asia/Shanghai' });
    expect(iso(nextFireTimes(schedule, from, 2))).toEqual(['2024-01-31T20:00:00.000Z', '2024-02-29T20:00:00.000Z']);
  });

  it('reads `?` as "any", as FC does', () => {
    expect(iso(nextFireTimes(parseTimerExpression('0 30 2 ? * *'), from, 1))).toEqual(['2024-01-01T02:30:00.000Z']);
  });

  it('reads @every intervals', () => {
    expect(parseTimerExpression('@every 5m')).toEqual({ kind: 'every', expression: '@every 5m', intervalMs: 300_000 });
    expect(iso(nextFireTimes(parseTimerExpression('@every 1h30m'), from, 2))).toEqual([
      '2024-01-01T01:30:00.000Z',
      '2024-01-01T03:00:00.000Z',
    ]);
  });

  it.each([
    ['0 * * * *', /6 fields .* got 5/],
    ['0 0 0 * * * 2030', /got 7/],
    ['CRON_TZ=Mars/Olympus 0 0 4 * * *', /unknown time zone "Mars\/Olympus"/],
    ['TZ=UTC 0 0 4 * * *', /only a CRON_TZ=<zone> prefix/],
    ['0 0 25 * * *', /invalid cron expression/],
    ['@every', /@every needs a duration/],
    ['@every 5 minutes', /@every needs a duration/],
  ])('refuses %s', (expression, message) => {
    expect(() => parseTimerExpression(expression)).toThrow(message);
  });
});

describe('parseGoDuration', () => {
  it.each([
    ['1s', 1000],
    ['90s', 90_000],
    ['1.5h', 5_400_000],
    ['2h45m30s', 9_930_000],
    ['250ms', 250],
  ])('%s = %i ms', (text, ms) => {
    expect(parseGoDuration(text)).toBe(ms);
  });

  it('refuses zero', () => {
    expect(() => parseGoDuration('0s')).toThrow(/at least 1ms/);
  });
});
