/**
 * A gzip member whose deflate data is stored, not compressed: what every gzip reader accepts, written
 * without zlib. The audit trail writes objects of a few hundred bytes, which compression does not make
 * smaller in any way that matters, while zlib's first use costs a fresh instance 2–3 ms, plus about 1 ms
 * to load `node:zlib`, on the cold path of every function that audits. Format: RFC 1952 (gzip) around
 * RFC 1951 stored blocks (§3.2.4), each at most 65,535 bytes.
 */

import { crc32 } from '../crc32';

const BLOCK_MAX = 0xffff;

/** `data` as one gzip member of stored deflate blocks. */
export function gzipStored(data: Uint8Array): Buffer {
  const blocks = Math.max(1, Math.ceil(data.length / BLOCK_MAX));
  const out = Buffer.alloc(10 + blocks * 5 + data.length + 8);
  // ID1 ID2, CM = deflate, no flags, no modification time, no extra flags, OS unknown.
  out.set([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff], 0);
  let at = 10;
  for (let b = 0; b < blocks; b++) {
    const start = b * BLOCK_MAX;
    const length = Math.min(BLOCK_MAX, data.length - start);
    out[at] = b === blocks - 1 ? 1 : 0; // BFINAL on the last block, BTYPE 00 (stored)
    out.writeUInt16LE(length, at + 1);
    out.writeUInt16LE(~length & 0xffff, at + 3);
    out.set(data.subarray(start, start + length), at + 5);
    at += 5 + length;
  }
  out.writeUInt32LE(crc32(data), at);
  out.writeUInt32LE(data.length >>> 0, at + 4);
  return out;
}
