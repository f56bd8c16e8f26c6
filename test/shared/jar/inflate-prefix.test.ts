import { constants, deflateRawSync, inflateRawSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { inflatePrefix, inflateWhole } from '../../../shared/jar/inflate-prefix';

// zlib is the oracle: what it inflates from the same (possibly cut) input, up to the bytes asked for.
function zlibPrefix(input: Buffer, want: number): Buffer {
  return inflateRawSync(input, { finishFlush: constants.Z_SYNC_FLUSH }).subarray(0, want);
}

const STRATEGIES = [
  constants.Z_DEFAULT_STRATEGY,
  constants.Z_FILTERED,
  constants.Z_HUFFMAN_ONLY,
  constants.Z_RLE,
  constants.Z_FIXED,
];

// Data shaped like class files and like what else gets deflated: repetition (back-references from the
// first bytes on), text, random bytes (stored blocks at level 0 or when incompressible).
const payload = fc.oneof(
  fc.uint8Array({ minLength: 0, maxLength: 3000, size: 'max' }),
  // A small alphabet: back-references of every length and distance.
  fc
    .tuple(fc.integer({ min: 2, max: 16 }), fc.uint8Array({ minLength: 1, maxLength: 3000, size: 'max' }))
    .map(([letters, bytes]) => bytes.map((b) => 97 + (b % letters))),
  // Words from a small vocabulary, the shape of a class file's constant pool.
  fc
    .array(fc.constantFrom('java/lang/', 'Object', 'String', '<init>', '()V', 'Code', 'LineNumberTable', ';', 'L'), {
      maxLength: 5000,
      size: 'max',
    })
    .map((words) => new TextEncoder().encode(words.join(''))),
  fc
    .tuple(fc.string({ minLength: 1, maxLength: 12 }), fc.integer({ min: 1, max: 400 }))
    .map(([s, n]) => new TextEncoder().encode(s.repeat(n))),
  fc
    .tuple(fc.uint8Array({ minLength: 1, maxLength: 4 }), fc.integer({ min: 1, max: 3000 }))
    .map(([unit, n]) => Uint8Array.from({ length: n }, (_, i) => unit[i % unit.length] as number)),
  fc
    .tuple(fc.integer({ min: 45, max: 70 }), fc.uint8Array({ maxLength: 2000, size: 'max' }))
    .map(([major, rest]) => Uint8Array.from([0xca, 0xfe, 0xba, 0xbe, 0, 0, 0, major, ...rest])),
);

/** Every level and strategy; a small memLevel makes zlib end blocks early: streams of several dynamic blocks. */
const zlibSettings = fc.record({
  level: fc.integer({ min: 0, max: 9 }),
  strategy: fc.constantFrom(...STRATEGIES),
  memLevel: fc.integer({ min: 1, max: 9 }),
});

/** A final fixed-Huffman block with the given codes (each written most significant bit first). */
function fixedBlock(...codes: string[]): Buffer {
  const bits = ['1', '1', '0', ...codes.flatMap((c) => [...c])];
  const out = Buffer.alloc(Math.ceil(bits.length / 8));
  bits.forEach((b, i) => {
    if (b === '1') out[i >> 3] = (out[i >> 3] as number) | (1 << (i & 7));
  });
  return out;
}

describe('inflatePrefix', () => {
  it('gives the first bytes zlib gives, for any level, strategy, output size and cut of the input', () => {
    fc.assert(
      fc.property(
        payload,
        zlibSettings,
        // Up to 40,000 bytes out, so back-references reach the longest distance codes.
        fc.oneof(fc.integer({ min: 1, max: 300 }), fc.integer({ min: 1, max: 40_000 })),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (data, settings, want, cut) => {
          const deflated = deflateRawSync(data, settings);
          const input = deflated.subarray(0, Math.round(deflated.length * cut));
          const got = inflatePrefix(input, want);
          expect(got).toBeDefined();
          expect(Buffer.from(got as Buffer).toString('hex')).toBe(zlibPrefix(input, want).toString('hex'));
        },
      ),
      { numRuns: 1500 },
    );
  });

  it('follows back-references of every distance code, up to the 32 KiB window', () => {
    for (const distance of [1, 2, 5, 300, 1025, 5000, 8193, 16385, 20000, 24577, 32768]) {
      // Noise (a linear congruential sequence) repeating with period `distance`: no shorter match to prefer.
      let x = 12345;
      const noise = Array.from({ length: distance }, () => {
        x = (x * 1103515245 + 12345) >>> 0;
        return x >>> 24;
      });
      const data = Buffer.from(Array.from({ length: distance + 300 }, (_, i) => noise[i % distance] as number));
      const deflated = deflateRawSync(data, { level: 9 });
      expect(deflated.length).toBeLessThan(data.length); // the repeat is a back-reference
      expect(inflatePrefix(deflated, data.length)?.equals(data)).toBe(true);
    }
  });

  it('reads a stream made of several blocks: a stored one, then a fixed one', () => {
    // A stored block ends on a byte boundary, so clearing its BFINAL bit lets another stream follow.
    const first = Buffer.from(deflateRawSync(Buffer.from('CAFE'), { level: 0 }));
    first[0] = (first[0] as number) & ~1;
    const rest = deflateRawSync(Buffer.from('BABE-and-more-bytes-'.repeat(20)), { strategy: constants.Z_FIXED });
    const input = Buffer.concat([first, rest]);
    expect(zlibPrefix(input, 10).toString('latin1')).toBe('CAFEBABE-a');
    expect(inflatePrefix(input, 10)?.toString('latin1')).toBe('CAFEBABE-a');
  });

  it('answers undefined for bytes that are not DEFLATE, and never throws on garbage', () => {
    // Block type 3 is reserved.
    expect(inflatePrefix(Buffer.from([0b111]), 8)).toBeUndefined();
    // A stored block whose length and its complement disagree.
    expect(inflatePrefix(Buffer.from([1, 5, 0, 0, 0, 1, 2, 3, 4, 5]), 8)).toBeUndefined();
    // A fixed block whose first code is a back-reference (length 3, distance 1): nothing to refer to yet.
    expect(() => inflateRawSync(fixedBlock('0000001', '00000'))).toThrow(/distance too far back/);
    expect(inflatePrefix(fixedBlock('0000001', '00000'), 8)).toBeUndefined();
    // A dynamic block whose code-length code has no codes at all (every length 0), also right after a
    // valid dynamic block has filled the decoder's tables: nothing left over from it may decode.
    expect(() => inflateRawSync(Buffer.from([0x05, 0, 0, 0]))).toThrow();
    const text = Array.from({ length: 3000 }, (_, i) => String.fromCharCode(97 + ((i * i * 7919) % 26))).join('');
    const dynamic = deflateRawSync(Buffer.from(text), { level: 9 });
    expect((dynamic[0]! >> 1) & 3).toBe(2); // a dynamic block
    expect(inflatePrefix(dynamic, 8)?.toString()).toBe(text.slice(0, 8));
    expect(inflatePrefix(Buffer.from([0x05, 0, 0, 0]), 8)).toBeUndefined();
    // The same after one literal 'a' (8-bit code 0x30 + 0x61) repeats it.
    const literalA = (0x30 + 0x61).toString(2).padStart(8, '0');
    expect(inflatePrefix(fixedBlock(literalA, '0000001', '00000'), 8)?.toString()).toBe('aaaa');
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), fc.integer({ min: 1, max: 64 }), (bytes, want) => {
        const got = inflatePrefix(bytes, want);
        if (got !== undefined) expect(got.length).toBeLessThanOrEqual(want);
      }),
      { numRuns: 2000 },
    );
  });

  it('an empty input gives no bytes, and asking for 8 of a shorter stream gives what there is', () => {
    expect(inflatePrefix(Buffer.alloc(0), 8)?.length).toBe(0);
    expect(inflatePrefix(deflateRawSync(Buffer.from('abc')), 8)?.toString()).toBe('abc');
  });
});

describe('inflateWhole', () => {
  it('gives exactly what zlib gives for a whole stream, and nothing for a wrong size or a cut stream', () => {
    fc.assert(
      fc.property(payload, zlibSettings, (data, settings) => {
        const deflated = deflateRawSync(data, settings);
        const whole = inflateWhole(deflated, data.length);
        expect(whole?.equals(inflateRawSync(deflated))).toBe(true);
        expect(inflateWhole(deflated, data.length + 1)).toBeUndefined();
        if (data.length > 0) expect(inflateWhole(deflated, data.length - 1)).toBeUndefined();
        // Without its last byte the stream's final block never ends: zlib fails it too.
        const cut = deflated.subarray(0, deflated.length - 1);
        expect(() => inflateRawSync(cut)).toThrow();
        expect(inflateWhole(cut, data.length)).toBeUndefined();
      }),
      { numRuns: 600 },
    );
  });

  it('answers undefined for bytes that are not DEFLATE', () => {
    expect(inflateWhole(Buffer.from([0b111]), 0)).toBeUndefined();
    expect(inflateWhole(Buffer.from([1, 5, 0, 0, 0, 1, 2, 3, 4, 5]), 5)).toBeUndefined();
    expect(inflateWhole(fixedBlock('0000001', '00000'), 3)).toBeUndefined();
  });
});
