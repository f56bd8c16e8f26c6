import { describe, expect, it } from 'vitest';
import { unquoteEtag } from '../../../shared/storage/object-headers';

describe('unquoteEtag', () => {
  it('drops one quote at each end, as OSS quotes ETags, and leaves the rest alone', () => {
    const cases: Array<[string | undefined, string]> = [
      ['"5B3C1A2E053D763E1B002CC607C5A0FE"', '5B3C1A2E053D763E1B002CC607C5A0FE'],
      ['"abc-2"', 'abc-2'],
      ['abc', 'abc'],
      ['"abc', 'abc'],
      ['abc"', 'abc'],
      ['""', ''],
      ['"', ''],
      ['""x""', '"x"'],
      [undefined, ''],
    ];
    for (const [given, want] of cases) {
      expect(unquoteEtag(given), String(given)).toBe(want);
      // The pattern it replaces, for the same inputs.
      expect((given ?? '').replace(/^"|"$/g, ''), String(given)).toBe(want);
    }
  });
});
