/**
 * A gzip member whose deflate data is stored, not compressed: what every gzip reader accepts, written
 * without zlib. The audit trail writes objects of a few hundred bytes, which compression does not make
 * smaller in any way that matters, while zlib's first use costs a fresh instance 2–3 ms, plus about 1 ms
 * to load `node:zlib`, on the cold path of every function that audits. Format: RFC 1952 (gzip) around
 * RFC 1951 stored blocks (§3.2.4), each at most 65,535 bytes.
 */

const BLOCK_MAX = 0xffff;

let crcTable: Int32Array | undefined;

/** CRC-32 (IEEE 802.3, reflected 0xEDB88320), the checksum in a gzip trailer. */
export function crc32(data: Uint8Array): number {
  crcTable ??= makeCrcTable();
  const table = crcTable;
  let c = -1;
  for (let i = 0; i < data.length; i++) c = (table[(c ^ (data[i] as number)) & 0xff] as number) ^ (c >>> 8);
  return (c ^ -1) >>> 0;
}

function makeCrcTable(): Int32Array {
  const t = new Int32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c;
  }
  return t;
}

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
