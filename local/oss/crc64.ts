/**
 * CRC-64/XZ (OSS calls it "ECMA-182"; docs/oss-protocol.md §6): reflected polynomial 0xC96C5795D7870F42, init and
 * xorout all ones. OSS sends it as a decimal uint64 in `x-oss-hash-crc64ecma`.
 *
 * The 64-bit state is kept as two uint32 halves because BigInt arithmetic per byte would be far too slow
 * for 1 GiB bodies; slicing-by-8 processes eight bytes per step with eight lookup tables.
 */

const POLY_LO = 0xd7870f42;
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;
const POLY_HI = 0xc96c5795;

// TABLE_LO[k * 256 + n] / TABLE_HI[...]: CRC of byte n followed by k zero bytes.
const TABLE_LO = new Uint32Array(8 * 256);
const TABLE_HI = new Uint32Array(8 * 256);

(function buildTables() {
  for (let n = 0; n < 256; n++) {
    let lo = n;
    let hi = 0;
    for (let bit = 0; bit < 8; bit++) {
      const carry = lo & 1;
      lo = ((lo >>> 1) | ((hi & 1) << 31)) >>> 0;
      hi = hi >>> 1;
      if (carry) {
        lo = (lo ^ POLY_LO) >>> 0;
        hi = (hi ^ POLY_HI) >>> 0;
      }
    }
    TABLE_LO[n] = lo;
    TABLE_HI[n] = hi;
  }
  for (let k = 1; k < 8; k++) {
    for (let n = 0; n < 256; n++) {
      const prevLo = TABLE_LO[(k - 1) * 256 + n]!;
      const prevHi = TABLE_HI[(k - 1) * 256 + n]!;
      const idx = prevLo & 0xff;
      TABLE_LO[k * 256 + n] = (TABLE_LO[idx]! ^ ((prevLo >>> 8) | (prevHi << 24))) >>> 0;
      TABLE_HI[k * 256 + n] = (TABLE_HI[idx]! ^ (prevHi >>> 8)) >>> 0;
    }
  }
})();

/** Incremental CRC-64/XZ. */
export class Crc64 {
  // Internal (pre-xorout) state.
  private lo = 0xffffffff;
  private hi = 0xffffffff;

  /** Resumes from a finished CRC (as OSS reports it), e.g. to extend an appendable object. */
  static resume(decimal: string): Crc64 {
    const value = BigInt(decimal) ^ 0xffffffffffffffffn;
    const crc = new Crc64();
    crc.lo = Number(value & 0xffffffffn);
    crc.hi = Number(value >> 32n);
    return crc;
  }

  /** CRC of one buffer, as a decimal string. */
  static of(data: Uint8Array): string {
    return new Crc64().update(data).digest();
  }

  update(data: Uint8Array): this {
    let lo = this.lo;
    let hi = this.hi;
    let i = 0;
    const n = data.length;
    const T_LO = TABLE_LO;
    const T_HI = TABLE_HI;
    // Bytes up to a 4-byte boundary one at a time, so the bulk can be read as little-endian uint32 words
    // (two loads per 8 bytes instead of eight), which is most of the speed.
    for (; i < n && (data.byteOffset + i) % 4 !== 0; i++) {
      const idx = (lo ^ data[i]!) & 0xff;
      lo = T_LO[idx]! ^ ((lo >>> 8) | (hi << 24));
      hi = T_HI[idx]! ^ (hi >>> 8);
    }
    const words = LITTLE_ENDIAN ? Math.floor((n - i) / 8) * 2 : 0;
    if (words > 0) {
      const view = new Uint32Array(data.buffer, data.byteOffset + i, words);
      for (let w = 0; w < words; w += 2) {
        const a = (lo ^ view[w]!) >>> 0;
        const b = (hi ^ view[w + 1]!) >>> 0;
        const i7 = 7 * 256 + (a & 0xff);
        const i6 = 6 * 256 + ((a >>> 8) & 0xff);
        const i5 = 5 * 256 + ((a >>> 16) & 0xff);
        const i4 = 4 * 256 + (a >>> 24);
        const i3 = 3 * 256 + (b & 0xff);
        const i2 = 2 * 256 + ((b >>> 8) & 0xff);
        const i1 = 256 + ((b >>> 16) & 0xff);
        const i0 = b >>> 24;
        lo = T_LO[i7]! ^ T_LO[i6]! ^ T_LO[i5]! ^ T_LO[i4]! ^ T_LO[i3]! ^ T_LO[i2]! ^ T_LO[i1]! ^ T_LO[i0]!;
        hi = T_HI[i7]! ^ T_HI[i6]! ^ T_HI[i5]! ^ T_HI[i4]! ^ T_HI[i3]! ^ T_HI[i2]! ^ T_HI[i1]! ^ T_HI[i0]!;
      }
      i += words * 4;
    }
    for (; i < n; i++) {
      const idx = (lo ^ data[i]!) & 0xff;
      lo = T_LO[idx]! ^ ((lo >>> 8) | (hi << 24));
      hi = T_HI[idx]! ^ (hi >>> 8);
    }
    this.lo = lo >>> 0;
    this.hi = hi >>> 0;
    return this;
  }

  /** The finished CRC as OSS prints it: a decimal uint64. Does not end the computation. */
  digest(): string {
    const lo = (this.lo ^ 0xffffffff) >>> 0;
    const hi = (this.hi ^ 0xffffffff) >>> 0;
    return ((BigInt(hi) << 32n) | BigInt(lo)).toString();
  }
}
