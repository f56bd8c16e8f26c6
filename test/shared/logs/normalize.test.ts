import { describe, expect, it } from 'vitest';
import { parseBody } from '../../../shared/logs/body';
import {
  formatMicros,
  labelsJson,
  normalizeRecord,
  recordLevel,
  recordMessage,
  recordTime,
  stringMember,
  textLevel,
  timeMicros,
} from '../../../shared/logs/normalize';
import { fluentBitJson, vectorNdjson } from './payloads';

// 2025-12-01T23:01:47.123456Z in microseconds, written out by hand.
const T = 1_764_630_107_123_456;
const RECEIVED = 1_764_640_000_000_000;
const labels = labelsJson({ namespace: 'team-a', deployment: 'dep-1', job: 'job-9' });

describe('timestamps collectors and log4j send', () => {
  it('reads epoch seconds (Fluent Bit `date`), milliseconds, microseconds and nanoseconds by magnitude', () => {
    expect(timeMicros(1764630107.123456)).toBe(T);
    expect(timeMicros(1764630107123)).toBe(1_764_630_107_123_000);
    expect(timeMicros(1764630107123456)).toBe(T);
    expect(timeMicros(1764630107123456000)).toBe(T);
    expect(timeMicros('1764630107.123456')).toBe(T);
  });

  it('reads RFC 3339 and ISO 8601 strings, with or without zone, up to nanoseconds', () => {
    expect(timeMicros('2025-12-01T23:01:47.123456789Z')).toBe(T);
    expect(timeMicros('2025-12-01T23:01:47.123456Z')).toBe(T);
    expect(timeMicros('2025-12-02T07:01:47.123456+08:00')).toBe(T);
    expect(timeMicros('2025-12-02T07:01:47.123456+0800')).toBe(T);
    expect(timeMicros('2025-12-01 23:01:47,123456')).toBe(T);
    expect(timeMicros('2025-12-01T23:01:47Z')).toBe(1_764_630_107_000_000);
  });

  it('reads UTC times of the common shape the same whichever second came before', () => {
    expect(timeMicros('2025-12-01T23:01:47.5Z')).toBe(1_764_630_107_500_000);
    expect(timeMicros('2025-12-01T23:01:48.000001Z')).toBe(1_764_630_108_000_001);
    expect(timeMicros('2025-12-01T23:01:47.123456Z')).toBe(T);
    expect(timeMicros('2025-13-01T23:01:47.123456Z')).toBeUndefined();
    expect(timeMicros('2025-12-01T23:01:47.Z')).toBeUndefined();
    expect(timeMicros('2025-12-01T23:01:47.12a456Z')).toBeUndefined();
    expect(timeMicros('2200-12-31T23:59:59.999999Z')).toBeUndefined();
  });

  it('ignores values that are not times', () => {
    for (const v of ['yesterday', '', true, {}, -1, 0, 42, Number.NaN, '2025-13-45T99:00:00Z', 9e30]) {
      expect(timeMicros(v)).toBeUndefined();
    }
  });

  it('tries @timestamp, timestamp, time, date, ts, then log4j2 timeMillis and instant', () => {
    expect(recordTime({ date: 1, '@timestamp': '2025-12-01T23:01:47.123456Z' })).toBe(T);
    expect(recordTime({ time: 'not a time', date: 1764630107.123456 })).toBe(T);
    expect(recordTime({ timeMillis: 1764630107123 })).toBe(1_764_630_107_123_000);
    expect(recordTime({ instant: { epochSecond: 1764630107, nanoOfSecond: 123456789 } })).toBe(T);
    expect(recordTime({ message: 'no time' })).toBeUndefined();
  });

  it('formats microseconds as ISO 8601 with six digits', () => {
    expect(formatMicros(T)).toBe('2025-12-01T23:01:47.123456Z');
    expect(formatMicros(1_764_630_107_000_001)).toBe('2025-12-01T23:01:47.000001Z');
  });
});

describe('level and message', () => {
  it('normalises level names and pino/bunyan numbers', () => {
    expect(recordLevel({ level: 'WARNING' })).toBe('warn');
    expect(recordLevel({ severity: 'Error' })).toBe('error');
    expect(recordLevel({ levelname: 'CRITICAL' })).toBe('fatal');
    expect(recordLevel({ level: 30 })).toBe('info');
    expect(recordLevel({ log: { level: 'debug' } })).toBe('debug');
    expect(recordLevel({ message: 'x' })).toBeUndefined();
  });

  it('finds the level of Flink log4j text lines', () => {
    expect(textLevel('2025-12-01 23:01:47,123 WARN  org.apache.flink.Foo - x')).toBe('warn');
    expect(textLevel('[ERROR] something')).toBe('error');
    expect(textLevel('an INFORMATIVE line')).toBeUndefined();
  });

  it('takes message, msg or log (Fluent Bit tail), in that order', () => {
    expect(recordMessage({ log: 'b', msg: 'a' })).toBe('a');
    expect(recordMessage({ log: 'from tail' })).toBe('from tail');
    expect(recordMessage({ message: { nested: 1 } })).toBe('{"nested":1}');
    expect(recordMessage({ log: { level: 'info' } })).toBeUndefined();
  });
});

describe('normalizeRecord', () => {
  it('writes ts, level, message and labels, and keeps the rest of a Fluent Bit record as sent', () => {
    const [raw] = parseBody(Buffer.from(fluentBitJson(3)), 'application/json').records.slice(2);
    const n = normalizeRecord(raw!, labels, RECEIVED);
    const line = JSON.parse(n.line);
    expect(n.ownTime).toBe(true);
    expect(line.ts).toBe('2025-12-01T23:01:47.002123Z');
    expect(line.level).toBe('error');
    expect(line.message).toContain('switched from RUNNING to FAILED');
    expect(line.labels).toEqual({ namespace: 'team-a', deployment: 'dep-1', job: 'job-9' });
    const { log, ...rest } = JSON.parse(raw!.text);
    expect(line.message).toBe(log);
    expect(line.record).toEqual(rest);
    expect(n.line).toContain(`"record":${raw!.text.replace(`"log":${JSON.stringify(log)},`, '')}}`);
  });

  it('keeps a message that is not a string in the record, and writes it as JSON text', () => {
    const text = '{"message":{"code":7},"ts":1764630107.123456}';
    const line = JSON.parse(
      normalizeRecord({ line: 1, kind: 'object', value: JSON.parse(text), text }, labels, RECEIVED).line,
    );
    expect(line).toMatchObject({ ts: '2025-12-01T23:01:47.123456Z', message: '{"code":7}' });
    expect(line.record).toEqual({ message: { code: 7 }, ts: 1764630107.123456 });
  });

  it('keeps the nanosecond-bearing Vector timestamp to the microsecond', () => {
    const [raw] = parseBody(Buffer.from(vectorNdjson(2)), 'application/x-ndjson').records.slice(1);
    const line = JSON.parse(normalizeRecord(raw!, labels, RECEIVED).line);
    expect(line.ts).toBe('2025-12-01T23:01:47.001000Z');
    expect(line.message).toMatch(/^WARN/);
    expect(line.record.timestamp).toBe('2025-12-01T23:01:47.001000001Z');
  });

  it('uses the receive time for text lines and records without a time', () => {
    const text = normalizeRecord({ line: 1, kind: 'text', text: 'plain "quoted" line' }, labels, RECEIVED);
    expect(text.ownTime).toBe(false);
    expect(JSON.parse(text.line)).toEqual({
      ts: '2025-12-02T01:46:40.000000Z',
      level: null,
      message: 'plain "quoted" line',
      labels: { namespace: 'team-a', deployment: 'dep-1', job: 'job-9' },
    });
    const obj = normalizeRecord(
      { line: 1, kind: 'object', value: { msg: 'm' }, text: '{"msg":"m"}' },
      labels,
      RECEIVED,
    );
    expect(JSON.parse(obj.line).ts).toBe('2025-12-02T01:46:40.000000Z');
  });
});

describe('stringMember: the top-level member a message is moved out of', () => {
  const cut = (text: string, field: string, value: string) => {
    const m = stringMember(text, field, value);
    return m && { rest: text.slice(0, m.cutStart) + text.slice(m.cutEnd), value: text.slice(m.valueStart, m.valueEnd) };
  };

  it('cuts a first, middle, last or only member with one comma, leaving a JSON object', () => {
    expect(cut('{"log":"x","a":1}', 'log', 'x')).toEqual({ rest: '{"a":1}', value: '"x"' });
    expect(cut('{"a":1,"log":"x","b":2}', 'log', 'x')).toEqual({ rest: '{"a":1,"b":2}', value: '"x"' });
    expect(cut('{"a":1,"log":"x"}', 'log', 'x')).toEqual({ rest: '{"a":1}', value: '"x"' });
    expect(cut('{"log":"x"}', 'log', 'x')).toEqual({ rest: '{}', value: '"x"' });
    expect(cut(' { "a" : [1, {"b":"}"}] , "log" : "x" } ', 'log', 'x')).toEqual({
      rest: ' { "a" : [1, {"b":"}"}]  } ',
      value: '"x"',
    });
  });

  it('keeps escapes as sent and compares the decoded text', () => {
    expect(cut('{"log":"a\\"b\\u00e9","z":0}', 'log', 'a"bé')).toEqual({ rest: '{"z":0}', value: '"a\\"b\\u00e9"' });
    expect(cut('{"l\\u006fg":"x","z":0}', 'log', 'x')).toEqual({ rest: '{"z":0}', value: '"x"' });
  });

  it('never takes a nested member, a key inside a string or a member of another value', () => {
    expect(cut('{"k":{"log":"x"},"log":"x"}', 'log', 'x')).toEqual({ rest: '{"k":{"log":"x"}}', value: '"x"' });
    expect(cut('{"k":"\\"log\\":\\"x\\"","log":"x"}', 'log', 'x')!.rest).toBe('{"k":"\\"log\\":\\"x\\""}');
    expect(cut('{"a\\"log":"x"}', 'log', 'x')).toBeUndefined();
    expect(cut('{"k":{"log":"x"}}', 'log', 'x')).toBeUndefined();
    expect(cut('{"log":"y"}', 'log', 'x')).toBeUndefined();
    expect(cut('{"log":7}', 'log', '7')).toBeUndefined();
  });

  it('takes the member JSON.parse takes when a key repeats (the last)', () => {
    expect(cut('{"log":"a","log":"b"}', 'log', 'b')).toEqual({ rest: '{"log":"a"}', value: '"b"' });
  });
});
