import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EXACT_NAMES_MAX, fingerprint, NAME_LIST_EXACT_MAX, NameSet, nameList } from '../../../shared/names/name-set';

/** FNV-1a (32 bits) over UTF-16 code units, written the textbook way. */
function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** The second hash, as its own loop: Murmur3's per-unit mixing and finaliser with seed 0x9747b28c. */
function murmurish(s: string): number {
  let h = 0x9747b28c;
  for (let i = 0; i < s.length; i++) {
    let k = Math.imul(s.charCodeAt(i), 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    h ^= Math.imul(k, 0x1b873593);
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  h ^= s.length;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

describe('fingerprint', () => {
  it('gives the published FNV-1a values as its first half', () => {
    expect(fingerprint('')[0]).toBe(0x811c9dc5);
    expect(fingerprint('a')[0]).toBe(0xe40c292c);
    expect(fingerprint('foobar')[0]).toBe(0xbf9cf968);
  });

  it('is the two hashes computed separately, the second never 0', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 64 }), (name) => {
        expect(fingerprint(name)).toEqual([fnv1a(name), murmurish(name) || 1]);
      }),
    );
  });
});

describe('NameSet', () => {
  it('answers yes for every added name, with its first referrer, and no for others', () => {
    const set = new NameSet();
    for (let i = 0; i < 5000; i++) set.add(`file-${i}`, i % 2 ? 'chk-1' : 'chk-2');
    set.add('file-1', 'chk-3');
    expect(set.size).toBe(5000);
    expect(set.referrerOf('file-1')).toBe('chk-1');
    expect(set.referrerOf('file-2')).toBe('chk-2');
    expect(set.has('file-5000')).toBe(false);
  });

  it('keeps every name and first referrer when it grows past the exact size into fingerprints', () => {
    const set = new NameSet();
    const count = EXACT_NAMES_MAX + 500;
    for (let i = 0; i < count; i++) set.add(`n-${i}`, `unit-${i % 5}/`);
    for (let i = 0; i < count; i += 97) set.add(`n-${i}`, 'later/');
    expect(set.size).toBe(count);
    for (let i = 0; i < count; i += 13) expect(set.referrerOf(`n-${i}`)).toBe(`unit-${i % 5}/`);
    expect(set.has(`n-${count}`)).toBe(false);
    // Now by fingerprint: asking with one gives the same answers.
    const [a, b] = fingerprint('n-7');
    expect(set.referrerOfFingerprint(a, b)).toBe('unit-2/');
  });

  it('answers a fingerprint question while still exact, and the same names afterwards', () => {
    const set = new NameSet();
    set.add('x', 'unit-x/');
    set.add('y', 'unit-y/');
    expect(set.referrerOfFingerprint(...fingerprint('x'))).toBe('unit-x/');
    expect(set.referrerOfFingerprint(...fingerprint('z'))).toBeUndefined();
    set.add('z', 'unit-z/');
    expect([set.referrerOf('x'), set.referrerOf('y'), set.referrerOf('z'), set.size]).toEqual([
      'unit-x/',
      'unit-y/',
      'unit-z/',
      3,
    ]);
  });
});

describe('nameList', () => {
  const names = (n: number) => Array.from({ length: n }, (_, i) => `file-${i}`);

  it('keeps a short list as names and a long one as two fingerprint halves a name', () => {
    expect(nameList(names(NAME_LIST_EXACT_MAX))).toEqual(names(NAME_LIST_EXACT_MAX));
    const long = nameList(names(NAME_LIST_EXACT_MAX + 1));
    expect(long).toBeInstanceOf(Uint32Array);
    expect([long[0], long[1]]).toEqual(fingerprint('file-0'));
    expect(long.length).toBe(2 * (NAME_LIST_EXACT_MAX + 1));
  });

  it('finds the first referrer other than the one excepted, and adds a list, in either form', () => {
    for (const n of [3, NAME_LIST_EXACT_MAX + 10]) {
      const set = new NameSet();
      set.add('file-1', 'self/');
      expect(set.firstReferrerOf(nameList(names(n)), 'self/'), `${n} names`).toBeUndefined();
      set.add(`file-${n - 1}`, 'other/');
      expect(set.firstReferrerOf(nameList(names(n)), 'self/'), `${n} names`).toBe('other/');
      set.addAll(nameList(names(n)), 'rescued/');
      expect(set.size).toBe(n);
      expect(set.has('file-0')).toBe(true);
      expect(set.has(`file-${n}`)).toBe(false);
      expect(set.referrerOf('file-1')).toBe('self/');
    }
  });
});
