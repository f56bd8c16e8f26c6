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

import { isoTime } from '../iso-time';
import type { RawRecord } from './body';
import { TEXT_LEVEL_CHARS } from './fields';
import type { MemberSpan, ScannedObject } from './json-scan';
import type { LogLabels } from './labels';

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
  const n = normalizeFields(record.value, receivedUs);
  let messageJson = n.messageJson;
  let rest = record.text;
  if (n.field !== undefined) {
    // The message's JSON text is already in the record: move it rather than decode and escape it again.
    const member = stringMember(record.text, n.field, n.message!);
    if (member) {
      messageJson = record.text.slice(member.valueStart, member.valueEnd);
      rest = record.text.slice(0, member.cutStart) + record.text.slice(member.cutEnd);
    } else {
      messageJson = JSON.stringify(n.message);
    }
  }
  return {
    tsUs: n.tsUs,
    ownTime: n.ownTime,
    line: `{"ts":"${formatMicros(n.tsUs)}","level":${n.levelJson},"message":${messageJson},"labels":${labels},"record":${rest}}`,
  };
}

/**
 * A scanned NDJSON object normalised (the intake's fast path; the same line as `normalizeRecord` writes,
 * in pieces the writer copies): `message` is where the message's JSON is in the scanned bytes when it moves
 * out of the record; otherwise `messageJson` is written.
 */
export function normalizeScanned(
  scan: ScannedObject,
  bytes: Buffer,
  receivedUs: number,
): { tsUs: number; ownTime: boolean; levelJson: string; message: MemberSpan | undefined; messageJson: string } {
  const v = scan.values;
  const from = messageField(v);
  // A string message is a located member: its span is always there, and its text is read from the bytes.
  const span = from === undefined || typeof v[from] !== 'string' ? undefined : scan.spans[from];
  if (span === undefined) {
    const n = normalizeFields(v, receivedUs);
    return { tsUs: n.tsUs, ownTime: n.ownTime, levelJson: n.levelJson, message: undefined, messageJson: n.messageJson };
  }
  const own = recordTime(v);
  // A collector tailing a log4j file sends the whole line as `log`: its level is in the text.
  const level = recordLevel(v) ?? spanTextLevel(bytes, span);
  return {
    tsUs: own ?? receivedUs,
    ownTime: own !== undefined,
    levelJson: levelJsonOf(level),
    message: span,
    messageJson: '',
  };
}

/**
 * `textLevel` of the JSON string at `span`. When the first `TEXT_LEVEL_CHARS` bytes of its text are ASCII
 * with no escape, they are its first characters, read where they are; any other is decoded first.
 */
export function spanTextLevel(bytes: Buffer, span: MemberSpan): string | undefined {
  const start = span.valueStart + 1;
  const end = span.valueEnd - 1;
  const stop = Math.min(end, start + TEXT_LEVEL_CHARS);
  let i = start;
  while (i < stop) {
    const b = bytes[i]!;
    if (b >= 0x80 || b === 0x5c) break; // non-ASCII, or a backslash
    i++;
  }
  if (i === stop) return asciiTextLevel(bytes, start, stop);
  if (!span.escaped) {
    // Up to 4 bytes per UTF-16 unit: enough bytes for the characters looked at.
    return textLevel(bytes.toString('utf8', start, Math.min(end, start + 4 * TEXT_LEVEL_CHARS)));
  }
  return textLevel(JSON.parse(bytes.toString('utf8', span.valueStart, span.valueEnd)) as string);
}

/**
 * What every object record's line says, from its fields: its time, its level as JSON, `field` naming the
 * string member the message comes from (to be moved out of the record); otherwise `messageJson` is the
 * message's JSON (`null` without one).
 */
function normalizeFields(
  v: Record<string, unknown>,
  receivedUs: number,
): {
  tsUs: number;
  ownTime: boolean;
  levelJson: string;
  field: string | undefined;
  message: string | undefined;
  messageJson: string;
} {
  const own = recordTime(v);
  const tsUs = own ?? receivedUs;
  const from = messageField(v);
  const raw = from === undefined ? undefined : v[from];
  const field = typeof raw === 'string' ? from : undefined;
  const message = raw === undefined ? undefined : typeof raw === 'string' ? raw : JSON.stringify(raw);
  // A collector tailing a log4j file sends the whole line as `log`: its level is in the text.
  const level = recordLevel(v) ?? (message === undefined ? undefined : textLevel(message));
  return {
    tsUs,
    ownTime: own !== undefined,
    levelJson: levelJsonOf(level),
    field,
    message,
    messageJson: field !== undefined ? '' : message === undefined ? 'null' : JSON.stringify(message),
  };
}

/** The `level` of a line, as JSON. */
function levelJsonOf(level: string | undefined): string {
  return level === undefined ? 'null' : (LEVEL_JSON[level] ?? JSON.stringify(level));
}

/** The JSON of the levels records are normalised to. */
export const LEVEL_JSON: Record<string, string> = {
  trace: '"trace"',
  debug: '"debug"',
  info: '"info"',
  warn: '"warn"',
  error: '"error"',
  fatal: '"fatal"',
};

/** The record's own time in µs since the epoch, or `undefined` when no field holds a usable one. */
export function recordTime(v: Record<string, unknown>): number | undefined {
  // TIMESTAMP_FIELDS in order, spelled out: named property reads are what V8 makes fast.
  return (
    fieldTime(v['@timestamp']) ??
    fieldTime(v.timestamp) ??
    fieldTime(v.time) ??
    fieldTime(v.date) ??
    fieldTime(v.ts) ??
    numberMicros(v.timeMillis, 'ms') ??
    instantMicros(v.instant)
  );
}

function fieldTime(raw: unknown): number | undefined {
  return raw === undefined || raw === null ? undefined : timeMicros(raw);
}

/**
 * A time value in µs: epoch seconds, milliseconds, microseconds or nanoseconds as a number or numeric
 * string (told apart by magnitude), or an RFC 3339 / ISO 8601 string (no zone means UTC).
 */
export function timeMicros(raw: unknown): number | undefined {
  if (typeof raw === 'number') return numberMicros(raw);
  if (typeof raw !== 'string') return undefined;
  return utcMicros(raw) ?? textMicros(raw.trim());
}

function textMicros(text: string): number | undefined {
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

/**
 * The common shape, `YYYY-MM-DDTHH:MM:SS[.fraction]Z` (Vector, ECS), without a regex or a Date per
 * record: the records of a batch share their second, whose value the general parse gives once.
 */
function utcMicros(text: string): number | undefined {
  const n = text.length;
  if (n < 20 || n > 30 || text.charCodeAt(n - 1) !== 0x5a || text.charCodeAt(10) !== 0x54) return undefined;
  if (n > 20 && (text.charCodeAt(19) !== 0x2e || n === 21)) return undefined;
  let us = 0;
  for (let i = 20; i < n - 1; i++) {
    const d = text.charCodeAt(i) - 0x30;
    if (d < 0 || d > 9) return undefined;
    if (i < 26) us += d * FRACTION_DIGIT_US[i - 20]!;
  }
  if (!text.startsWith(cachedSecond) || cachedSecond === '') {
    const ms = textMicros(`${text.slice(0, 19)}Z`);
    if (ms === undefined) return undefined;
    cachedSecond = text.slice(0, 19);
    cachedSecondUs = ms;
  }
  const result = cachedSecondUs + us;
  return result <= MAX_US ? result : undefined;
}

/** µs of each fraction digit after the second's dot (digits past the sixth are cut). */
const FRACTION_DIGIT_US = [100_000, 10_000, 1000, 100, 10, 1];

let cachedSecond = '';
let cachedSecondUs = 0;

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
  // Whole microseconds, whatever the numbers (a fractional epochSecond would leave a fraction).
  const us = Math.floor(epochSecond * 1e6 + (typeof nanoOfSecond === 'number' ? nanoOfSecond : 0) / 1000);
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
  // LEVEL_FIELDS in order, spelled out: the first present one decides.
  const raw = v.level ?? v.severity ?? v.levelname ?? v['log.level'] ?? v.lvl ?? v.loglevel;
  if (raw !== undefined && raw !== null) return levelName(raw);
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

/** The level of a text line when it names one in its first `TEXT_LEVEL_CHARS` characters. */
export function textLevel(text: string): string | undefined {
  const m = TEXT_LEVEL_RE.exec(text.length > TEXT_LEVEL_CHARS ? text.slice(0, TEXT_LEVEL_CHARS) : text);
  return m ? TEXT_LEVELS[m[1]!] : undefined;
}

/**
 * `textLevel` of the ASCII text `bytes[start, stop)`, without making it a string: the leftmost level word
 * that starts the text or follows white space, `[` or `|`, and ends it or precedes white space, `]`, `|` or
 * `:`.
 */
function asciiTextLevel(bytes: Buffer, start: number, stop: number): string | undefined {
  for (let s = start; s < stop; s++) {
    const c = bytes[s]!;
    // Every level word starts with one of these capitals.
    if (c < 0x44 || c > 0x57 || LEVEL_WORDS[c - 0x44] === undefined) continue;
    if (s > start && !isLevelBefore(bytes[s - 1]!)) continue;
    for (const word of LEVEL_WORDS[c - 0x44]!) {
      const e = s + word.bytes.byteLength;
      if (e > stop || (e < stop && !isLevelAfter(bytes[e]!))) continue;
      let k = 1;
      while (k < word.bytes.byteLength && bytes[s + k] === word.bytes[k]) k++;
      if (k === word.bytes.byteLength) return word.level;
    }
  }
  return undefined;
}

/** ASCII white space as `\s` has it: tab, newline, vertical tab, form feed, carriage return, space. */
function isAsciiSpace(c: number): boolean {
  return c === 0x20 || (c >= 0x09 && c <= 0x0d);
}

function isLevelBefore(c: number): boolean {
  return isAsciiSpace(c) || c === 0x5b || c === 0x7c; // [ |
}

function isLevelAfter(c: number): boolean {
  return isAsciiSpace(c) || c === 0x5d || c === 0x7c || c === 0x3a; // ] | :
}

// The words TEXT_LEVEL_RE finds, as `levelName` names them.
const TEXT_LEVELS: Record<string, string> = {
  TRACE: 'trace',
  DEBUG: 'debug',
  INFO: 'info',
  WARN: 'warn',
  WARNING: 'warn',
  ERROR: 'error',
  FATAL: 'fatal',
  SEVERE: 'error',
};

/** The level words by their first letter (index: letter - "D"), as bytes. */
const LEVEL_WORDS: Array<Array<{ bytes: Buffer; level: string }> | undefined> = [];
for (const [word, level] of Object.entries(TEXT_LEVELS)) {
  const at = word.charCodeAt(0) - 0x44;
  LEVEL_WORDS[at] = [...(LEVEL_WORDS[at] ?? []), { bytes: Buffer.from(word, 'latin1'), level }];
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
  // MESSAGE_FIELDS in order, spelled out.
  if (v.message !== undefined && v.message !== null) return 'message';
  if (v.msg !== undefined && v.msg !== null) return 'msg';
  if (v.log !== undefined && v.log !== null && typeof v.log !== 'object') return 'log'; // not ECS's `log` object
  if (v.MESSAGE !== undefined && v.MESSAGE !== null) return 'MESSAGE';
  if (v.short_message !== undefined && v.short_message !== null) return 'short_message';
  if (v['@message'] !== undefined && v['@message'] !== null) return '@message';
  return undefined;
}

/**
 * The top-level member `field` of a JSON object's text (valid JSON, as `JSON.parse` accepted it) whose
 * value is the string `expected` (the last, as `JSON.parse` takes the last of a repeated key), or
 * `undefined`. A scan of the top level only: nested objects and arrays
 * are skipped whole, strings are jumped over to their closing quote, so a key of the same name inside a
 * nested object or inside a string is never taken for it. The cut takes one adjacent comma with it, so the
 * text left is still a JSON object.
 */
export function stringMember(text: string, field: string, expected: string): Omit<MemberSpan, 'escaped'> | undefined {
  let i = skipSpace(text, 0);
  if (text.charCodeAt(i) !== OPEN_BRACE) return undefined;
  i = skipSpace(text, i + 1);
  let previousComma = -1;
  let found: Omit<MemberSpan, 'escaped'> | undefined;
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
      found =
        next === COMMA
          ? { cutStart: keyStart, cutEnd: i + 1, valueStart, valueEnd }
          : previousComma >= 0
            ? { cutStart: previousComma, cutEnd: valueEnd, valueStart, valueEnd }
            : { cutStart: keyStart, cutEnd: valueEnd, valueStart, valueEnd };
    }
    if (next !== COMMA) return next === CLOSE_BRACE ? found : undefined;
    previousComma = i;
    i = skipSpace(text, i + 1);
  }
  return found;
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
    lastSecondText = isoTime(second * 1000).slice(0, 20);
  }
  return `${lastSecondText}${String(us - second * 1_000_000).padStart(6, '0')}Z`;
}

let lastSecond = Number.NaN;
let lastSecondText = '';
