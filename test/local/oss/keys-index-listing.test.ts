import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compareKeys, keyProblem } from '../../../local/oss/keys';
import { decodeContinuationToken, encodeContinuationToken, listPage, parseMaxKeys } from '../../../local/oss/listing';
import { SortedKeySet } from '../../../local/oss/sorted-index';

const utf8Order = (a: string, b: string) => Math.sign(Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8')));

describe('key order', () => {
  it('orders keys by their UTF-8 bytes, as OSS lists them (including characters beyond U+FFFF)', () => {
    expect(compareKeys('\uffff', '\u{10000}')).toBe(-1);
    expect('\uffff' < '\u{10000}').toBe(false);
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), fc.string({ unit: 'grapheme' }), (a, b) => {
        expect(Math.sign(compareKeys(a, b))).toBe(utf8Order(a, b));
      }),
    );
  });

  it('refuses names OSS refuses', () => {
    expect(keyProblem('a'.repeat(1023))).toBeUndefined();
    expect(keyProblem('a'.repeat(1024))?.code).toBe('InvalidObjectName');
    expect(keyProblem('中'.repeat(342))?.code).toBe('InvalidObjectName');
    expect(keyProblem('/x')?.code).toBe('InvalidObjectName');
    expect(keyProblem('\\x')?.code).toBe('InvalidObjectName');
    expect(keyProblem('\ud800')?.code).toBe('InvalidObjectName');
    expect(keyProblem('a b/中文+x%#.txt')).toBeUndefined();
  });
});

/** The obvious listing over a sorted array, to check the index-based one against. */
function modelList(keys: string[], prefix: string, delimiter: string, after: string, maxKeys: number) {
  const sorted = [...new Set(keys)].sort(compareKeys);
  const out: Array<{ key?: string; prefix?: string }> = [];
  const seen = new Set<string>();
  let truncated = false;
  for (const key of sorted) {
    if (!key.startsWith(prefix) || compareKeys(key, after) <= 0) continue;
    const d = delimiter === '' ? -1 : key.indexOf(delimiter, prefix.length);
    const common = d === -1 ? undefined : key.slice(0, d + delimiter.length);
    if (common !== undefined && (seen.has(common) || compareKeys(common, after) <= 0)) continue;
    if (out.length === maxKeys) {
      truncated = true;
      break;
    }
    if (common !== undefined) {
      seen.add(common);
      out.push({ prefix: common });
    } else out.push({ key });
  }
  return {
    keys: out.filter((o) => o.key !== undefined).map((o) => o.key!),
    commonPrefixes: out.filter((o) => o.prefix).map((o) => o.prefix!),
    isTruncated: truncated,
  };
}

const keyArb = fc.stringMatching(/^[ab/\u00e9\u4e2d]{1,6}$/);

describe('sorted index and listing (checked against a model)', () => {
  it('keeps the key set sorted and exact under random inserts and deletes', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.boolean(), fc.stringMatching(/^[a-z]{0,4}$/)), { maxLength: 3000 }), (ops) => {
        const set = new SortedKeySet();
        const model = new Set<string>();
        for (const [add, key] of ops) {
          expect(add ? set.add(key) : set.delete(key)).toBe(add ? !model.has(key) : model.has(key));
          if (add) model.add(key);
          else model.delete(key);
        }
        expect([...set.keys()]).toEqual([...model].sort(compareKeys));
        expect(set.size).toBe(model.size);
      }),
      { numRuns: 30 },
    );
  });

  it('returns the same page as the model for any prefix, delimiter, marker and max-keys', () => {
    fc.assert(
      fc.property(
        fc.array(keyArb, { maxLength: 300 }),
        fc.stringMatching(/^[ab/]{0,2}$/),
        fc.constantFrom('', '/', 'b'),
        fc.stringMatching(/^[ab/\u00e9]{0,4}$/),
        fc.integer({ min: 1, max: 20 }),
        (keys, prefix, delimiter, after, maxKeys) => {
          const set = SortedKeySet.from(keys);
          const page = listPage(set, { prefix, delimiter, after, maxKeys });
          const model = modelList(keys, prefix, delimiter, after, maxKeys);
          expect({ keys: page.keys, commonPrefixes: page.commonPrefixes, isTruncated: page.isTruncated }).toEqual(
            model,
          );
        },
      ),
      { numRuns: 300 },
    );
  });

  it('pages through every key exactly once, in order, when each page starts after the last one', () => {
    fc.assert(
      fc.property(
        fc.array(keyArb, { maxLength: 400 }),
        fc.constantFrom('', '/'),
        fc.integer({ min: 1, max: 7 }),
        (keys, delimiter, maxKeys) => {
          const set = SortedKeySet.from(keys);
          const seen: string[] = [];
          let after = '';
          for (let guard = 0; guard < 1000; guard++) {
            const page = listPage(set, { prefix: '', delimiter, after, maxKeys });
            seen.push(...page.keys, ...page.commonPrefixes);
            if (!page.isTruncated) break;
            after = page.next;
          }
          const full = modelList(keys, '', delimiter, '', Number.MAX_SAFE_INTEGER);
          expect(seen.sort(compareKeys)).toEqual([...full.keys, ...full.commonPrefixes].sort(compareKeys));
          expect(new Set(seen).size).toBe(seen.length);
        },
      ),
      { numRuns: 100 },
    );
  });

  it('round-trips continuation tokens and refuses foreign ones', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), (key) => {
        expect(decodeContinuationToken(encodeContinuationToken(key))).toBe(key);
      }),
    );
    expect(encodeContinuationToken('bc')).toBe('YmM-');
    expect(() => decodeContinuationToken('not a token!')).toThrow(expect.objectContaining({ code: 'InvalidArgument' }));
  });

  it('accepts max-keys 1..1000 only', () => {
    expect(parseMaxKeys(undefined)).toBe(100);
    expect(parseMaxKeys('1000')).toBe(1000);
    for (const bad of ['0', '1001', 'x', '-1', '1.5'])
      expect(() => parseMaxKeys(bad)).toThrow(expect.objectContaining({ code: 'InvalidArgument' }));
  });
});
