import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Crc64 } from '../../../local/oss/crc64';
import { etagFromMd5, multipartEtag, normalizeEtag, quoteEtag } from '../../../local/oss/etag';

describe('CRC-64/XZ as OSS sends it (docs/oss-protocol.md §6)', () => {
  it('matches the published check value and the reference examples', () => {
    expect(Crc64.of(Buffer.from('123456789'))).toBe('11051210869376104954');
    expect(Crc64.of(Buffer.alloc(0))).toBe('0');
    expect(Crc64.of(Buffer.from('hi'))).toBe('5234813050979658238');
    expect(Crc64.of(Buffer.from('hello world'))).toBe('5981764153023615706');
  });

  it('gives the same result however the input is split, and resumes from a finished value', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.integer({ min: 0, max: 200 }), (bytes, cut) => {
        const at = Math.min(cut, bytes.length);
        const whole = Crc64.of(bytes);
        expect(new Crc64().update(bytes.subarray(0, at)).update(bytes.subarray(at)).digest()).toBe(whole);
        const first = Crc64.of(bytes.subarray(0, at));
        expect(Crc64.resume(first).update(bytes.subarray(at)).digest()).toBe(whole);
      }),
    );
  });

  it('agrees with a bit-by-bit reference implementation', () => {
    const reference = (data: Uint8Array) => {
      let crc = 0xffffffffffffffffn;
      for (const byte of data) {
        crc ^= BigInt(byte);
        for (let i = 0; i < 8; i++) crc = crc & 1n ? (crc >> 1n) ^ 0xc96c5795d7870f42n : crc >> 1n;
      }
      return (crc ^ 0xffffffffffffffffn).toString();
    };
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), fc.integer({ min: 0, max: 7 }), (bytes, offset) => {
        expect(Crc64.of(bytes)).toBe(reference(bytes));
        // Views that do not start on a word boundary take the byte-wise path first.
        const shifted = new Uint8Array(bytes.length + offset);
        shifted.set(bytes, offset);
        expect(Crc64.of(shifted.subarray(offset))).toBe(reference(bytes));
      }),
    );
  });
});

describe('ETags', () => {
  it('is the uppercase hex MD5 for simple uploads, quoted on the wire', () => {
    const md5 = createHash('md5').update('').digest();
    expect(etagFromMd5(md5)).toBe('D41D8CD98F00B204E9800998ECF8427E');
    expect(quoteEtag('ABC')).toBe('"ABC"');
    expect(normalizeEtag(' "abc" ')).toBe('ABC');
  });

  it("computes the multipart ETag over the parts' uppercase hex MD5s as text, not S3's binary digests (§0 fact 9)", () => {
    const parts = ['part one', 'part two', 'three'].map((p) => etagFromMd5(createHash('md5').update(p).digest()));
    const expected = `${createHash('md5').update(parts.join(''), 'ascii').digest('hex').toUpperCase()}-3`;
    const s3 = `${createHash('md5')
      .update(Buffer.concat(parts.map((p) => Buffer.from(p, 'hex'))))
      .digest('hex')
      .toUpperCase()}-3`;
    expect(multipartEtag(parts)).toBe(expected);
    expect(multipartEtag(parts)).not.toBe(s3);
    // Lowercase part ETags from a client are uppercased first.
    expect(multipartEtag(parts.map((p) => p.toLowerCase()))).toBe(expected);
  });
});
