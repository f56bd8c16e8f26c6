import { crc32 as zlibCrc32 } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { crc32 } from '../../shared/crc32';

describe('crc32', () => {
  it('gives the standard check value of "123456789"', () => {
    // The CRC-32/ISO-HDLC catalogue entry: check = 0xCBF43926.
    expect(crc32(Buffer.from('123456789'))).toBe(0xcbf43926);
    expect(crc32(new Uint8Array(0))).toBe(0);
  });

  it('agrees with zlib for every length around the four-byte steps', () => {
    const bytes = Buffer.alloc(40);
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 151 + 17) & 0xff;
    for (let n = 0; n <= bytes.length; n++)
      expect(crc32(bytes.subarray(0, n)), `${n} bytes`).toBe(zlibCrc32(bytes.subarray(0, n)));
  });

  it('agrees with zlib on any bytes, at any offset into their buffer', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 5000 }), fc.nat(7), (bytes, skip) => {
        const view = bytes.subarray(Math.min(skip, bytes.length));
        expect(crc32(view)).toBe(zlibCrc32(view));
      }),
    );
  });
});
