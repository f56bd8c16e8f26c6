import { deflateSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { decodeBody, detectFormat, parseBody } from '../../../shared/logs/body';
import { LogIntakeError } from '../../../shared/logs/errors';
import { fluentBitJson, fluentBitJsonLines, vectorNdjson } from './payloads';

const refused = (fn: () => unknown): LogIntakeError => {
  try {
    fn();
  } catch (error) {
    if (error instanceof LogIntakeError) return error;
    throw error;
  }
  throw new Error('expected a LogIntakeError');
};

describe('decodeBody', () => {
  const text = Buffer.from('{"a":1}\n');

  it('passes identity bodies through and undoes gzip and deflate', () => {
    expect(decodeBody(text, undefined, 100).toString()).toBe('{"a":1}\n');
    expect(decodeBody(gzipSync(text), 'gzip', 100).toString()).toBe('{"a":1}\n');
    expect(decodeBody(gzipSync(text), 'GZIP', 100).toString()).toBe('{"a":1}\n');
    expect(decodeBody(deflateSync(text), 'deflate', 100).toString()).toBe('{"a":1}\n');
  });

  it('refuses a body whose decoded size exceeds the limit with 413, however small it is compressed', () => {
    const bomb = gzipSync(Buffer.alloc(10_000_000, 0x61));
    expect(bomb.byteLength).toBeLessThan(20_000);
    const e = refused(() => decodeBody(bomb, 'gzip', 1_000_000));
    expect(e.code).toBe('BATCH_TOO_LARGE');
    expect(e.status).toBe(413);
  });

  it('says so when the body is not what Content-Encoding claims', () => {
    const e = refused(() => decodeBody(text, 'gzip', 100));
    expect(e.code).toBe('BODY_INVALID');
    expect(e.message).toMatch(/not valid gzip/);
  });

  it('refuses encodings it cannot undo with 415', () => {
    const e = refused(() => decodeBody(text, 'br', 100));
    expect([e.code, e.status]).toEqual(['ENCODING_UNSUPPORTED', 415]);
  });
});

describe('detectFormat', () => {
  it('follows ?format=, then text/plain, then the first character', () => {
    expect(detectFormat('{"a":1}', 'text/plain', 'ndjson')).toBe('ndjson');
    expect(detectFormat('{"a":1}', 'text/plain')).toBe('text');
    expect(detectFormat('  [{"a":1}]', 'application/json')).toBe('json');
    expect(detectFormat('{"a":1}\n{"a":2}', 'application/json')).toBe('ndjson');
    expect(detectFormat('{"a":1}', 'application/x-ndjson; charset=utf-8')).toBe('ndjson');
    expect(detectFormat('hello', undefined)).toBe('text');
  });

  it("refuses MessagePack (Fluent Bit's default format) naming the setting to change", () => {
    const e = refused(() => detectFormat('\x93', 'application/msgpack'));
    expect(e.status).toBe(415);
    expect(e.message).toContain('format json');
  });

  it('refuses an unknown ?format=', () => {
    expect(refused(() => detectFormat('', undefined, 'xml')).code).toBe('FORMAT_UNSUPPORTED');
  });
});

describe('parseBody', () => {
  it('reads a Fluent Bit JSON array (format json)', () => {
    const parsed = parseBody(Buffer.from(fluentBitJson(3)), 'application/json');
    expect(parsed.format).toBe('json');
    expect(parsed.problems).toEqual([]);
    expect(parsed.records).toHaveLength(3);
    expect(parsed.records[0]).toMatchObject({ kind: 'object', value: { stream: 'stderr' } });
  });

  it('reads Fluent Bit json_lines and Vector NDJSON, keeping each line exactly as sent', () => {
    for (const body of [fluentBitJsonLines(4), vectorNdjson(4)]) {
      const parsed = parseBody(Buffer.from(body), 'application/x-ndjson');
      expect(parsed.format).toBe('ndjson');
      expect(parsed.records.map((r) => r.text)).toEqual(body.trimEnd().split('\n'));
      expect(parsed.records.map((r) => r.line)).toEqual([1, 2, 3, 4]);
    }
  });

  it('reports each unreadable NDJSON line by its number, and keeps the good ones', () => {
    const body = '{"message":"one"}\r\n\n{"message": broken}\n"a bare string"\n42\n{"message":"six"}';
    const parsed = parseBody(Buffer.from(body), undefined);
    expect(parsed.records.map((r) => r.line)).toEqual([1, 4, 6]);
    expect(parsed.records[1]).toEqual({ line: 4, kind: 'text', text: 'a bare string' });
    expect(parsed.problems.map((p) => p.line)).toEqual([3, 5]);
    expect(parsed.problems[0]!.message).toMatch(/^not valid JSON/);
    expect(parsed.problems[1]!.message).toBe('a number, not a JSON object or string');
  });

  it('keeps each object of a JSON array exactly as sent', () => {
    const parsed = parseBody(Buffer.from('[ {"log":"a", "n": 1},\n{"log":"b"} ]'), 'application/json');
    expect(parsed.records.map((r) => r.text)).toEqual(['{"log":"a", "n": 1}', '{"log":"b"}']);
    expect(parsed.records[0]).toMatchObject({ kind: 'object', value: { log: 'a', n: 1 } });
  });

  it('names bad elements of a JSON array by index', () => {
    const parsed = parseBody(Buffer.from('[{"a":1}, 7, "text", null]'), undefined);
    expect(parsed.records).toHaveLength(2);
    expect(parsed.problems).toEqual([
      { index: 1, message: 'a number, not a JSON object or string' },
      { index: 3, message: 'null, not a JSON object or string' },
    ]);
  });

  it('refuses an array that does not parse, with the line where it breaks', () => {
    const e = refused(() => parseBody(Buffer.from('[\n{"a":1},\n{"a":2},\n\n{"a" 3}\n]'), undefined));
    expect(e.code).toBe('RECORDS_INVALID');
    expect(e.problems[0]!.line).toBe(5);
  });

  it('reads text lines, skipping blank ones and stripping CR', () => {
    const parsed = parseBody(Buffer.from('first\r\n\n  \nsecond {not json}\n'), 'text/plain');
    expect(parsed.records).toEqual([
      { line: 1, kind: 'text', text: 'first' },
      { line: 4, kind: 'text', text: 'second {not json}' },
    ]);
  });
});
