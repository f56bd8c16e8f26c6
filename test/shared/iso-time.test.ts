import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compactIsoTime, isoTime } from '../../shared/iso-time';

describe('isoTime', () => {
  it('writes any time exactly as toISOString does, from a Date or from epoch milliseconds', () => {
    fc.assert(
      fc.property(fc.date({ noInvalidDate: true }), (date) => {
        expect(isoTime(date)).toBe(date.toISOString());
        expect(isoTime(date.getTime())).toBe(date.toISOString());
      }),
      { numRuns: 2000 },
    );
  });

  it('pads every field, and agrees at the edges of the four-digit years', () => {
    for (const text of [
      '2026-01-02T03:04:05.006Z',
      '2026-12-31T23:59:59.999Z',
      '1970-01-01T00:00:00.000Z',
      '0999-05-06T07:08:09.010Z',
      '0000-01-01T00:00:00.000Z',
      '9999-12-31T23:59:59.999Z',
      '+010000-01-01T00:00:00.000Z',
      '-000001-12-31T23:59:59.999Z',
    ]) {
      const date = new Date(text);
      expect(isoTime(date)).toBe(text);
      expect(date.toISOString()).toBe(text);
    }
  });

  it('throws the same RangeError for an invalid date', () => {
    expect(() => isoTime(new Date(Number.NaN))).toThrow(RangeError);
    expect(() => isoTime(Number.NaN)).toThrow(RangeError);
  });
});

describe('compactIsoTime', () => {
  it('is the ISO 8601 basic format to the second', () => {
    expect(compactIsoTime(new Date('2026-11-22T01:32:24.999Z'))).toBe('20261122T013224Z');
    expect(compactIsoTime(Date.UTC(2026, 0, 2, 3, 4, 5))).toBe('20260102T030405Z');
  });
});
