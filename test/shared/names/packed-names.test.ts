import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PackedNames } from '../../../shared/names/packed-names';

describe('PackedNames', () => {
  it('gives back every name by its index, across growth, whatever the characters', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ unit: 'grapheme', maxLength: 300 }), { maxLength: 3000 }), (names) => {
        const packed = new PackedNames();
        const indexes = names.map((n) => packed.add(n));
        expect(indexes).toEqual(names.map((_, i) => i));
        expect(packed.size).toBe(names.length);
        expect(names.map((_, i) => packed.get(i))).toEqual(names);
      }),
      { numRuns: 30 },
    );
  });

  it('refuses an index it does not have', () => {
    const packed = new PackedNames();
    packed.add('a.class');
    expect(() => packed.get(1)).toThrow(RangeError);
    expect(() => packed.get(-1)).toThrow(RangeError);
  });
});
