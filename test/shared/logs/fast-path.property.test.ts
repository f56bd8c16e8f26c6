/**
 * The intake reads NDJSON lines in place (shared/logs/json-scan.ts) instead of JSON.parse, and writes each
 * stored line from the sent bytes. These properties hold it to JSON.parse and to a plain reference of the
 * record rules (docs/log-shipper.md §2), on records written with arbitrary spacing and escapes.
 */

import { gunzipSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { prepareBatch } from '../../../shared/logs/batch';
import { MESSAGE_FIELDS, READ_FIELDS } from '../../../shared/logs/fields';
import { scanObject, WantedFields } from '../../../shared/logs/json-scan';
import { LogKeys } from '../../../shared/logs/keys';
import { formatMicros, recordLevel, recordTime, spanTextLevel, textLevel } from '../../../shared/logs/normalize';

const wanted = new WantedFields(READ_FIELDS, MESSAGE_FIELDS);

/** A tiny PRNG so one generated seed decides every spacing and escaping choice of a serialisation. */
function random(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 2 ** 32;
  };
}

/** JSON text of `v` with random JSON whitespace and random \u escapes in keys and strings. */
function serialize(v: unknown, rnd: () => number): string {
  const ws = () => (rnd() < 0.2 ? [' ', '\t', ' \r ', '  '][Math.floor(rnd() * 4)]! : '');
  const str = (s: string) =>
    `"${[...s]
      .map((ch) => {
        if (rnd() < 0.15) {
          let out = '';
          for (let i = 0; i < ch.length; i++) out += `\\u${ch.charCodeAt(i).toString(16).padStart(4, '0')}`;
          return out;
        }
        return JSON.stringify(ch).slice(1, -1);
      })
      .join('')}"`;
  if (typeof v === 'string') return str(v);
  if (Array.isArray(v)) return `[${ws()}${v.map((e) => `${ws()}${serialize(e, rnd)}${ws()}`).join(',')}]`;
  if (v !== null && typeof v === 'object')
    return `{${ws()}${Object.entries(v)
      .map(([k, e]) => `${ws()}${str(k)}${ws()}:${ws()}${serialize(e, rnd)}${ws()}`)
      .join(',')}${ws()}}`;
  return JSON.stringify(v);
}

const key = fc
  .oneof(fc.constantFrom(...READ_FIELDS, 'kubernetes', 'stream', 'é', 'log\\"x'), fc.string({ maxLength: 6 }))
  .filter((k) => k !== '__proto__');
const leaf = fc.oneof(
  fc.string({ maxLength: 20 }),
  fc.string({ unit: 'binary', maxLength: 8 }),
  fc.constantFrom('INFO', 'warn', 'Error', 'WARNING', 'x INFO y', '2025-12-01 23:01:47,123 ERROR boom', 'a"b\\c\n'),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.integer({ min: 40_000_000, max: 7_000_000_000 }).map((s) => s + 0.000123),
  fc
    .integer({ min: 40_000_000_000, max: 7_000_000_000_000 })
    .map((ms) => `${new Date(ms).toISOString().slice(0, 23)}456789Z`),
  fc.constantFrom(10, 30, 50, true, false, null),
);
const value = fc.letrec<{ v: unknown }>((tie) => ({
  v: fc.oneof(
    { depthSize: 'small' },
    leaf,
    fc.array(tie('v'), { maxLength: 3 }),
    fc.dictionary(key, tie('v'), { maxKeys: 3 }),
  ),
})).v;
const record = fc.dictionary(key, value, { maxKeys: 7 });

describe('scanObject against JSON.parse', () => {
  it('reads every object JSON.parse reads, with the same wanted members', () => {
    fc.assert(
      fc.property(record, fc.integer(), (r, seed) => {
        const text = serialize(r, random(seed));
        const scan = scanObject(Buffer.from(text), 0, Buffer.byteLength(text), wanted);
        expect(scan).toBeDefined();
        const parsed = JSON.parse(text) as Record<string, unknown>;
        for (const field of READ_FIELDS) expect(scan!.values[field]).toEqual(parsed[field]);
      }),
      { numRuns: 500 },
    );
  });

  it('decodes a located string only as far as asked: its first characters, exactly as JSON.parse has them', () => {
    fc.assert(
      fc.property(record, fc.integer(), fc.integer({ min: 1, max: 12 }), (r, seed, prefix) => {
        const text = serialize(r, random(seed));
        const short = new WantedFields(READ_FIELDS, MESSAGE_FIELDS, prefix);
        const scan = scanObject(Buffer.from(text), 0, Buffer.byteLength(text), short);
        const parsed = JSON.parse(text) as Record<string, unknown>;
        for (const field of READ_FIELDS) {
          const whole = parsed[field];
          const located = (MESSAGE_FIELDS as readonly string[]).includes(field);
          expect(scan!.values[field]).toEqual(located && typeof whole === 'string' ? whole.slice(0, prefix) : whole);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('accepts nothing JSON.parse refuses, nor invalid UTF-8 (bytes changed, cut or added)', () => {
    fc.assert(
      fc.property(
        record,
        fc.integer(),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 }), fc.constantFrom('set', 'cut', 'add')), {
          minLength: 1,
          maxLength: 3,
        }),
        (r, seed, edits) => {
          const bytes = [...Buffer.from(serialize(r, random(seed)))];
          for (const [at, byte, how] of edits) {
            const i = at % (bytes.length + 1);
            if (how === 'set' && i < bytes.length) bytes[i] = byte;
            else if (how === 'cut') bytes.splice(i, 1);
            else bytes.splice(i, 0, byte);
          }
          const buffer = Buffer.from(bytes);
          const scan = scanObject(buffer, 0, buffer.byteLength, wanted);
          if (!scan) return;
          const text = buffer.toString('utf8');
          expect(Buffer.from(text, 'utf8').equals(buffer)).toBe(true); // valid UTF-8
          const parsed = JSON.parse(text) as unknown;
          expect(typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)).toBe(true);
          for (const field of READ_FIELDS)
            expect(scan.values[field]).toEqual((parsed as Record<string, unknown>)[field]);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('refuses what JSON.parse refuses that a lenient reader would take', () => {
    for (const bad of [
      '{"a":1,}',
      '{"a":01}',
      '{"a":1.}',
      '{"a":.5}',
      '{"a":+1}',
      '{"a":"\t"}',
      '{"a":"\\x"}',
      '{"a":"\\u12g4"}',
      "{'a':1}",
      '{"a":tru}',
      '{"a":1}x',
      '{"a" 1}',
      '{"a":[1,]}',
      '{"a":1',
    ]) {
      expect(() => JSON.parse(bad), bad).toThrow();
      expect(scanObject(Buffer.from(bad), 0, Buffer.byteLength(bad), wanted), bad).toBeUndefined();
    }
    expect(scanObject(Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xc0, 0xaf, 0x22, 0x7d]), 0, 10, wanted)).toBe(
      undefined,
    );
  });
});

describe('reading from the bytes what decoding would give', () => {
  const noText = new WantedFields(READ_FIELDS, MESSAGE_FIELDS, 0);
  const word = fc.constantFrom('INFO', 'WARN', 'WARNING', 'ERROR', 'DEBUG', 'TRACE', 'FATAL', 'SEVERE', 'INF', 'WARNS');
  const piece = fc.oneof(
    word,
    fc.constantFrom(' ', '[', ']', '|', ':', '\t', '\n', '\u00a0', 'é', '😀', 'x', '-', '2025-12-01 23:01:47,123 '),
    fc.string({ maxLength: 3 }),
    // A level word around the 80th character, where the window ends.
    fc.tuple(fc.integer({ min: 70, max: 84 }), word).map(([n, w]) => `${'a '.repeat(n).slice(0, n)}${w}`),
  );
  const message = fc.array(piece, { maxLength: 30 }).map((p) => p.join(''));

  it('finds the level in a message where textLevel finds it in the decoded text', () => {
    fc.assert(
      fc.property(message, fc.integer(), (text, seed) => {
        const bytes = Buffer.from(`{"log":${serialize(text, random(seed))},"stream":"stdout"}`);
        const scan = scanObject(bytes, 0, bytes.byteLength, noText);
        expect(spanTextLevel(bytes, scan!.spans.log!)).toBe(textLevel(text));
      }),
      { numRuns: 3000 },
    );
  });

  it('reads every JSON number as Number() does, to the sign of zero', () => {
    const digits = (min: number, max: number) =>
      fc.array(fc.integer({ min: 0, max: 9 }), { minLength: min, maxLength: max }).map((d) => d.join(''));
    const number = fc.oneof(
      fc.double({ noNaN: true, noDefaultInfinity: true }).map((d) => JSON.stringify(d)),
      fc
        .tuple(
          fc.boolean(),
          fc.oneof(
            fc.constant('0'),
            fc.tuple(fc.integer({ min: 1, max: 9 }), digits(0, 20)).map(([a, b]) => `${a}${b}`),
          ),
          fc.option(digits(1, 26)),
          fc.option(fc.tuple(fc.constantFrom('e', 'E', 'e+', 'e-'), digits(1, 3)).map(([e, d]) => e + d)),
        )
        .map(
          ([negative, whole, fraction, exponent]) =>
            `${negative ? '-' : ''}${whole}${fraction === null ? '' : `.${fraction}`}${exponent ?? ''}`,
        ),
    );
    fc.assert(
      fc.property(number, (text) => {
        const bytes = Buffer.from(`{"date":${text}}`);
        const scan = scanObject(bytes, 0, bytes.byteLength, wanted);
        expect(Object.is(scan!.values.date, Number(text)), text).toBe(true);
      }),
      { numRuns: 5000 },
    );
  });
});

/** The record rules, written plainly: what each stored line must say about the record it came from. */
function reference(v: Record<string, unknown>, receivedUs: number, labels: Record<string, string>) {
  let field: string | undefined;
  for (const f of MESSAGE_FIELDS) {
    const raw = v[f];
    if (raw === undefined || raw === null || (f === 'log' && typeof raw === 'object')) continue;
    field = f;
    break;
  }
  const raw = field === undefined ? undefined : v[field];
  const message = raw === undefined ? null : typeof raw === 'string' ? raw : JSON.stringify(raw);
  const level = recordLevel(v) ?? (message === null ? undefined : textLevel(message)) ?? null;
  const rest = { ...v };
  if (typeof raw === 'string') delete rest[field!];
  return {
    tsUs: recordTime(v) ?? receivedUs,
    line: { ts: formatMicros(recordTime(v) ?? receivedUs), level, message, labels, record: rest },
  };
}

describe('the intake against the reference', () => {
  const keys = new LogKeys('');
  const labels = { namespace: 'team-a', deployment: 'dep-1', job: 'j' };
  const receivedAt = new Date('2025-12-01T23:30:00Z');

  it('stores each record (NDJSON or JSON array) as the rules say, in its hour, however it is spaced and escaped', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(record, fc.integer()), { minLength: 1, maxLength: 12 }),
        fc.boolean(),
        async (rs, asArray) => {
          const lines = rs.map(([r, seed]) => serialize(r, random(seed)));
          // The same records as NDJSON or as one JSON array (Fluent Bit's `format json`) are stored alike.
          const body = asArray ? `[ ${lines.join(' ,\n')} ]` : lines.join('\n');
          const batch = await prepareBatch({ labels, body: Buffer.from(body), receivedAt, keys });
          const expected = lines.map((l) => reference(JSON.parse(l), receivedAt.getTime() * 1000, labels));
          const hours = [...new Set(expected.map((e) => Math.floor(e.tsUs / 3_600_000_000)))].sort((a, b) => a - b);
          expect(batch.objects.map((o) => o.partition.hour)).toEqual(
            hours.map((h) => new Date(h * 3_600_000).toISOString().slice(11, 13)),
          );
          const stored = batch.objects.flatMap((o) =>
            gunzipSync(o.body)
              .toString('utf8')
              .trimEnd()
              .split('\n')
              .map((l) => JSON.parse(l)),
          );
          const inHourOrder = hours.flatMap((h) =>
            expected.filter((e) => Math.floor(e.tsUs / 3_600_000_000) === h).map((e) => e.line),
          );
          expect(stored).toEqual(inHourOrder);
        },
      ),
      { numRuns: 300 },
    );
  });
});
