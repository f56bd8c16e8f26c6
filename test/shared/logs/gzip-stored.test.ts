import { gunzipSync, gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { crc32 } from '../../../shared/crc32';
import { gzipStored } from '../../../shared/logs/gzip-stored';

describe('gzipStored', () => {
  it('is read back by zlib byte for byte, across block boundaries', () => {
    for (const size of [0, 1, 65_534, 65_535, 65_536, 200_000]) {
      const data = Buffer.alloc(size);
      for (let i = 0; i < size; i++) data[i] = (i * 7919) & 0xff;
      expect(gunzipSync(gzipStored(data)).equals(data), `${size} bytes`).toBe(true);
    }
  });

  it('carries the CRC-32 and length zlib writes for the same bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 3000 }), (bytes) => {
        const ours = gzipStored(bytes);
        const zlibs = gzipSync(bytes);
        // The last 8 bytes of a gzip member: CRC-32, then the length, little-endian.
        expect(ours.subarray(-8).equals(zlibs.subarray(-8))).toBe(true);
        expect(crc32(bytes)).toBe(zlibs.readUInt32LE(zlibs.length - 8));
        expect(gunzipSync(ours).equals(Buffer.from(bytes))).toBe(true);
      }),
    );
  });

  it('starts with the gzip magic and the deflate method', () => {
    expect([...gzipStored(Buffer.from('x')).subarray(0, 3)]).toEqual([0x1f, 0x8b, 8]);
  });
});
