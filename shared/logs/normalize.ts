/**
 * Turning what collectors send into one record shape (docs/log-shipper.md §2):
 *
 *   {"ts":"2026-12-01T23:01:47.123456Z","level":"info","message":"…","labels":{…},"record":{…as sent…}}
 *
 * `ts` comes from the record when it carries one in a field collectors use, else it is the time the batch
 * was received; `record` keeps the sent object byte for byte except the member `message` was taken from,
 * which would only repeat the message (it is most of a log record's bytes), so nothing is lost by
 * normalising and nothing is stored twice.
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
  const field = messageField(v);
  const raw = field === undefined ? undefined : v[field];
  let message: string | undefined;
  let messageJson = 'null';
  let rest = record.text;
  if (typeof raw === 'string') {
    message = raw;
    // The message's JSON text is already in the record: move it rather than decode and escape it again.
    const member = stringMember(record.text, field!, raw);
    if (member) {
      messageJson = record.text.slice(member.valueStart, member.valueEnd);
      rest = record.text.slice(0, member.cutStart) + record.text.slice(member.cutEnd);
    } else {
      messageJson = JSON.stringify(raw);
    }
  } else if (raw !== undefined) {
    message = JSON.stringify(raw);
    messageJson = JSON.stringify(message);
  }
  // A collector tailing a log4j file sends the whole line as `log`: its level is in the text.
  const level = recordLevel(v) ?? (message === undefined ? undefined : textLevel(message));
  return {
    tsUs,
    ownTime: own !== undefined,
    line: `{"ts":"${formatMicros(tsUs)}","level":${level === undefined ? 'null' : JSON.stringify(level)},"message":${messageJson},"labels":${labels},"record":${rest}}`,
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
  const field = messageField(v);
  if (field === undefined) return undefined;
  const raw = v[field];
  return typeof raw === 'string' ? raw : JSON.stringify(raw);
}

/** The field `message` is taken from: the first of `MESSAGE_FIELDS` present (ECS's `log` object is not one). */
function messageField(v: Record<string, unknown>): string | undefined {
  for (const field of MESSAGE_FIELDS) {
    const raw = v[field];
    if (raw === undefined || raw === null) continue;
    if (field === 'log' && typeof raw === 'object') continue; // ECS `log` object, not a message
    return field;
  }
  return undefined;
}

/** Where a top-level member of an object's JSON text is: the text to cut to drop it, and its value's JSON. */
export interface MemberSpan {
  cutStart: number;
  cutEnd: number;
  valueStart: number;
  valueEnd: number;
}

/**
 * The top-level member `field` of a JSON object's text (valid JSON, as `JSON.parse` accepted it) whose
 * value is the string `expected`, or `undefined`. A scan of the top level only: nested objects and arrays
 * are skipped whole, strings are jumped over to their closing quote, so a key of the same name inside a
 * nested object or inside a string is never taken for it. The cut takes one adjacent comma with it, so the
 * text left is still a JSON object.
 */
export function stringMember(text: string, field: string, expected: string): MemberSpan | undefined {
  let i = skipSpace(text, 0);
  if (text.charCodeAt(i) !== OPEN_BRACE) return undefined;
  i = skipSpace(text, i + 1);
  let previousComma = -1;
  while (text.charCodeAt(i) === QUOTE) {
    const keyStart = i;
    const keyEnd = stringEnd(text, i);
    i = skipSpace(text, keyEnd);
    if (text.charCodeAt(i) !== COLON) return undefined;
    const valueStart = skipSpace(text, i + 1);
    const valueEnd = valueEndAt(text, valueStart);
    i = skipSpace(text, valueEnd);
    const next = text.charCodeAt(i);
    if (
      text.charCodeAt(valueStart) === QUOTE &&
      jsonStringIs(text, keyStart, keyEnd, field) &&
      jsonStringIs(text, valueStart, valueEnd, expected)
    ) {
      if (next === COMMA) return { cutStart: keyStart, cutEnd: i + 1, valueStart, valueEnd };
      if (previousComma >= 0) return { cutStart: previousComma, cutEnd: valueEnd, valueStart, valueEnd };
      return { cutStart: keyStart, cutEnd: valueEnd, valueStart, valueEnd };
    }
    if (next !== COMMA) return undefined;
    previousComma = i;
    i = skipSpace(text, i + 1);
  }
  return undefined;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;

function skipSpace(text: string, i: number): number {
  for (;;) {
    const c = text.charCodeAt(i);
    if (c !== 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) return i;
    i++;
  }
}

/** The index after the closing quote of the JSON string that opens at `i`. */
function stringEnd(text: string, i: number): number {
  let from = i + 1;
  for (;;) {
    const quote = text.indexOf('"', from);
    if (quote === -1) return text.length;
    let backslashes = 0;
    while (text.charCodeAt(quote - 1 - backslashes) === BACKSLASH) backslashes++;
    if (backslashes % 2 === 0) return quote + 1;
    from = quote + 1;
  }
}

/** The index after the JSON value that starts at `i`. */
function valueEndAt(text: string, i: number): number {
  const c = text.charCodeAt(i);
  if (c === QUOTE) return stringEnd(text, i);
  if (c === OPEN_BRACE || c === OPEN_BRACKET) {
    let depth = 0;
    for (let j = i; j < text.length; j++) {
      const d = text.charCodeAt(j);
      if (d === QUOTE) j = stringEnd(text, j) - 1;
      else if (d === OPEN_BRACE || d === OPEN_BRACKET) depth++;
      else if ((d === CLOSE_BRACE || d === CLOSE_BRACKET) && --depth === 0) return j + 1;
    }
    return text.length;
  }
  // A number, true, false or null: up to the next delimiter.
  let j = i;
  for (;;) {
    const d = text.charCodeAt(j);
    if (Number.isNaN(d) || d === COMMA || d === CLOSE_BRACE || d === CLOSE_BRACKET || d <= 0x20) return j;
    j++;
  }
}

/** Whether the JSON string token `text[start, end)` decodes to `value`; decodes only when it has escapes. */
function jsonStringIs(text: string, start: number, end: number, value: string): boolean {
  if (end - start < value.length + 2) return false;
  const inner = text.slice(start + 1, end - 1);
  return inner.includes('\\') ? JSON.parse(text.slice(start, end)) === value : inner === value;
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
