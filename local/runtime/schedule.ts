/**
 * FC timer trigger expressions: `@every <Go duration>` or a 6-field cron with seconds first, optionally
 * prefixed with `CRON_TZ=<IANA zone>` (UTC otherwise). Pure parsing and next-run arithmetic; the timers
 * themselves live in `timer-trigger.ts`.
 */
import { Cron } from 'croner';

export type TimerSchedule =
  | { kind: 'every'; expression: string; intervalMs: number }
  | { kind: 'cron'; expression: string; pattern: string; timezone: string };

const UNIT_MS: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Parses a timer trigger's `cronExpression`; throws an `Error` saying what is wrong. */
export function parseTimerExpression(expression: string): TimerSchedule {
  const text = expression.trim();
  if (text.startsWith('@every')) {
    const duration = text.slice('@every'.length).trim();
    return { kind: 'every', expression: text, intervalMs: parseGoDuration(duration) };
  }
  let timezone = 'UTC';
  let pattern = text;
  const tz = /^CRON_TZ=(\S+)\s+(.*)$/.exec(text);
  if (tz) {
    timezone = tz[1] as string;
    pattern = (tz[2] as string).trim();
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: timezone });
    } catch {
      throw new Error(`unknown time zone ${JSON.stringify(timezone)} in CRON_TZ`);
    }
  } else if (/^\S+=/.test(text)) {
    throw new Error(`only a CRON_TZ=<zone> prefix is understood, got ${JSON.stringify(text.split(/\s/)[0])}`);
  }
  const fields = pattern.split(/\s+/).filter(Boolean);
  if (fields.length !== 6) {
    throw new Error(
      `FC cron expressions have 6 fields (second minute hour day-of-month month day-of-week), got ${fields.length} in ${JSON.stringify(pattern)}`,
    );
  }
  // FC (like Go's robfig/cron) reads `?` as "any"; croner would read it as "the value at start-up".
  const normalized = fields.map((f) => (f === '?' ? '*' : f)).join(' ');
  try {
    new Cron(normalized, { paused: true, timezone, mode: '6-part' }).stop();
  } catch (error) {
    throw new Error(
      `invalid cron expression ${JSON.stringify(pattern)}: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  return { kind: 'cron', expression: text, pattern: normalized, timezone };
}

/**
 * The next `count` fire times strictly after `from`. For `@every`, FC counts from when the trigger was
 * created; here `from` plays that part.
 */
export function nextFireTimes(schedule: TimerSchedule, from: Date, count: number): Date[] {
  if (schedule.kind === 'every') {
    return Array.from({ length: count }, (_, i) => new Date(from.getTime() + schedule.intervalMs * (i + 1)));
  }
  const cron = new Cron(schedule.pattern, { paused: true, timezone: schedule.timezone, mode: '6-part' });
  try {
    return cron.nextRuns(count, from);
  } finally {
    cron.stop();
  }
}

/** Go's `time.ParseDuration` subset FC accepts after `@every`: `90s`, `5m`, `1h30m`, `1.5h`. */
export function parseGoDuration(text: string): number {
  const parts = /^((\d+(\.\d+)?)(ns|us|µs|ms|s|m|h))+$/.test(text)
    ? [...text.matchAll(/(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g)]
    : [];
  if (parts.length === 0)
    throw new Error(`@every needs a duration such as 30s, 5m or 1h30m, got ${JSON.stringify(text)}`);
  const ms = parts.reduce((sum, [, value, unit]) => sum + Number(value) * (UNIT_MS[unit as string] as number), 0);
  if (!(ms >= 1)) throw new Error(`@every duration must be at least 1ms, got ${JSON.stringify(text)}`);
  return Math.round(ms);
}
