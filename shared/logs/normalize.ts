/**
 * Turning what collectors send into one record shape (docs/log-shipper.md §2):
 *
 *   {"ts":"2026-12-01T23:01:47.123456Z","level":"info","message":"…","labels":{…},"record":{…as sent…}}
 *
 * `ts` comes from the record when it carries one in a field collectors use, else it is the time the batch
 * was received; `record` keeps the sent object byte for byte, so nothing is lost by normalising.
 */
import type { RawRecord } from './body';
import type { LogLabels } from './labels';

/** Fields holding a record's own time, in the order they are tried. */
export const TIMESTAMP_FIELDS = ['@timestamp', 'timestamp', 'time', 'date', 'ts', 'timeMillis', 'instant'] as const;
/** Fields holding a record's level. */
export const LEVEL_FIELDS = ['level', 'severity', 'levelname', 'log.level', 'lvl', 'loglevel'] as const;
/** Fields holding a record's message (`log` is Fluent Bit's tail and Docker's). */
export const MESSAGE_FIELDS = ['message', 'msg', 'log', 'MESSAGE', 'short_message', '@message'] as const;

// Accepted record times: 1971 up to 2200. Anything else is a number that is not a time (a count, an id).
const MIN_US = 31_536_000_000_000;
const MAX_US = 7_258_118_400_000_000;

/** A normalised record: its time in microseconds since the epoch and its NDJSON line (no newline). */
export interface NormalizedRecord {
  tsUs: number;
  /** True when the time came from the record, false when it is the receive time. */
  ownTime: boolean;
  line: string;
}

/** The labels object as JSON, built once per batch. */
export function labelsJson(labels: LogLabels): string {
  return JSON.stringify({
    namespace: labels.namespace,
    deployment: labels.deployment,
    ...(labels.job !== undefined && { job: labels.job }),
    ...(labels.source !== undefined && { source: labels.source }),
  });
}

/** Normalises one record; `receivedUs` is the batch's receive time in microseconds. */
export function normalizeRecord(record: RawRecord, labels: string, receivedUs: number): NormalizedRecord {
  if (record.kind === 'text') {
    const level = textLevel(record.text);
    return {
      tsUs: receivedUs,
      ownTime: false,
      line: `{"ts":"${formatMicros(receivedUs)}","level":${level === undefined ? 'null' : `"${level}"`},"message":${JSON.stringify(record.text)},"labels":${labels}}`,
    };
  }
  const v = record.value;
  const own = recordTime(v);
  const tsUs = own ?? receivedUs;
  const message = recordMessage(v);
  // A collector tailing a log4j file sends the whole line as `log`: its level is in the text.
  const level = recordLevel(v) ?? (message === undefined ? undefined : textLevel(message));
  return {
    tsUs,
    ownTime: own !== undefined,
    line: `{"ts":"${formatMicros(tsUs)}","level":${level === undefined ? 'null' : JSON.stringify(level)},"message":${message === undefined ? 'null' : JSON.stringify(message)},"labels":${labels},"record":${record.text}}`,
  };
}

/** The record's own time in µs since the epoch, or `undefined` when no field holds a usable one. */
export function recordTime(v: Record<string, unknown>): number | undefined {
  for (const field of TIMESTAMP_FIELDS) {
    const raw = v[field];
    if (raw === undefined || raw === null) continue;
    const us =
      field === 'instant' ? instantMicros(raw) : field === 'timeMillis' ? numberMicros(raw, 'ms') : timeMicros(raw);
    if (us !== undefined) return us;
  }
  return undefined;
}

/**
 * A time value in µs: epoch seconds, milliseconds, microseconds or nanoseconds as a number or numeric
 * string (told apart by magnitude), or an RFC 3339 / ISO 8601 string (no zone means UTC).
 */
export function timeMicros(raw: unknown): number | undefined {
  if (typeof raw === 'number') return numberMicros(raw);
  if (typeof raw !== 'string') return undefined;
  const text = raw.trim();
  if (/^\d+(?:\.\d+)?$/.test(text)) return numberMicros(Number(text));
  const m =
    /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?\s*(Z|z|[+-]\d{2}(?::?\d{2})?)?$/.exec(
      text,
    );
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s = '00', frac = '', zone = 'Z'] = m as unknown as string[];
  const offset =
    zone === 'Z' || zone === 'z'
      ? 'Z'
      : zone!.length === 3
        ? `${zone}:00`
        : zone!.includes(':')
          ? zone
          : `${zone!.slice(0, 3)}:${zone!.slice(3)}`;
  const ms = Date.parse(`${y}-${mo}-${d}T${h}:${mi}:${s}${offset}`);
  if (Number.isNaN(ms)) return undefined;
  const us = ms * 1000 + Number(frac.padEnd(6, '0').slice(0, 6));
  return us >= MIN_US && us <= MAX_US ? us : undefined;
}

function numberMicros(n: unknown, unit?: 'ms'): number | undefined {
  if (typeof n === 'string' && /^\d+(?:\.\d+)?$/.test(n.trim())) n = Number(n);
  if (typeof n !== 'number' || !Number.isFinite(n) || n <= 0) return undefined;
  let us: number;
  if (unit === 'ms') us = n * 1e3;
  else if (n < 1e11)
    us = n * 1e6; // seconds (Fluent Bit's `date` is a double of seconds)
  else if (n < 1e14)
    us = n * 1e3; // milliseconds
  else if (n < 1e17)
    us = n; // microseconds
  else us = n / 1e3; // nanoseconds
  us = Math.round(us);
  return us >= MIN_US && us <= MAX_US ? us : undefined;
}

// log4j2's JsonLayout: "instant": {"epochSecond": 1733094107, "nanoOfSecond": 123456789}.
function instantMicros(raw: unknown): number | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined;
  const { epochSecond, nanoOfSecond } = raw as { epochSecond?: unknown; nanoOfSecond?: unknown };
  if (typeof epochSecond !== 'number') return undefined;
  const us = epochSecond * 1e6 + Math.floor((typeof nanoOfSecond === 'number' ? nanoOfSecond : 0) / 1000);
  return us >= MIN_US && us <= MAX_US ? us : undefined;
}

const LEVEL_ALIASES: Record<string, string> = {
  warning: 'warn',
  err: 'error',
  severe: 'error',
  critical: 'fatal',
  crit: 'fatal',
  emerg: 'fatal',
  emergency: 'fatal',
  alert: 'fatal',
  panic: 'fatal',
  information: 'info',
  informational: 'info',
  notice: 'info',
  finest: 'trace',
  finer: 'trace',
  fine: 'debug',
  dbg: 'debug',
};
// pino and bunyan log numeric levels.
const NUMERIC_LEVELS: Record<number, string> = {
  10: 'trace',
  20: 'debug',
  30: 'info',
  40: 'warn',
  50: 'error',
  60: 'fatal',
};

/** The record's level, lower-case (`trace`, `debug`, `info`, `warn`, `error`, `fatal`, or as sent). */
export function recordLevel(v: Record<string, unknown>): string | undefined {
  for (const field of LEVEL_FIELDS) {
    const raw = v[field];
    if (raw !== undefined && raw !== null) return levelName(raw);
  }
  // ECS nests it: {"log": {"level": "info"}}.
  const log = v.log;
  if (typeof log === 'object' && log !== null && 'level' in log) return levelName((log as { level: unknown }).level);
  return undefined;
}

function levelName(raw: unknown): string | undefined {
  if (typeof raw === 'number') return NUMERIC_LEVELS[raw] ?? String(raw);
  if (typeof raw !== 'string' || raw.trim() === '') return undefined;
  const name = raw.trim().toLowerCase().slice(0, 16);
  return LEVEL_ALIASES[name] ?? name;
}

// Flink's log4j pattern "%d{yyyy-MM-dd HH:mm:ss,SSS} %-5p …" and most others put the level early.
const TEXT_LEVEL_RE = /(?:^|[\s[|])(TRACE|DEBUG|INFO|WARN|WARNING|ERROR|FATAL|SEVERE)(?=[\s\]|:]|$)/;

/** The level of a text line when it names one in its first 80 characters. */
export function textLevel(text: string): string | undefined {
  const m = TEXT_LEVEL_RE.exec(text.length > 80 ? text.slice(0, 80) : text);
  return m ? levelName(m[1]) : undefined;
}

/** The record's message: the first string message field, or the field as JSON when it is not a string. */
export function recordMessage(v: Record<string, unknown>): string | undefined {
  for (const field of MESSAGE_FIELDS) {
    const raw = v[field];
    if (raw === undefined || raw === null) continue;
    if (typeof raw === 'string') return raw;
    if (field === 'log' && typeof raw === 'object') continue; // ECS `log` object, not a message
    return JSON.stringify(raw);
  }
  return undefined;
}

/** `2026-12-01T23:01:47.123456Z`: ISO 8601 with microseconds, the precision query engines keep. */
export function formatMicros(us: number): string {
  const ms = Math.floor(us / 1000);
  // Records of a batch share their second: reuse its text rather than build a Date per record.
  const second = Math.floor(ms / 1000);
  if (second !== lastSecond) {
    lastSecond = second;
    lastSecondText = new Date(second * 1000).toISOString().slice(0, 20);
  }
  return `${lastSecondText}${String(us - second * 1_000_000).padStart(6, '0')}Z`;
}

let lastSecond = Number.NaN;
let lastSecondText = '';
