/**
 * Decompresses only the first few bytes of a raw DEFLATE stream (RFC 1951), for the class-file header:
 * the version check needs 8 bytes of each of tens of thousands of classes. zlib (`inflateRawSync`) pays
 * for a native stream, its 32 KiB window and a 16 KiB output buffer per call, which made the check cost
 * more than the SHA-256 of the whole JAR; general-purpose JavaScript inflaters build full lookup tables
 * per block and were slower still. This decoder walks the canonical Huffman codes bit by bit (the
 * approach of zlib's reference decoder `puff`), except the code-length code, which describes up to 316
 * lengths per class and is decoded through a 128-entry table; it keeps its tables in module-level arrays,
 * and stops as soon as it has the bytes asked for: a few microseconds per class.
 */

/** The input ended before the bytes asked for (not an error: the caller passes only a window). */
class OutOfInput {}
/** The bytes are not valid DEFLATE. */
class Invalid {}
const OUT_OF_INPUT = new OutOfInput();
const INVALID = new Invalid();

const MAX_BITS = 15;

/** A canonical Huffman code: how many codes of each length, and the symbols ordered by code. */
interface Huffman {
  count: Uint16Array;
  symbol: Uint16Array;
}

function huffman(symbols: number): Huffman {
  return { count: new Uint16Array(MAX_BITS + 1), symbol: new Uint16Array(symbols) };
}

// Length codes 257..285: base lengths and extra bits; distance codes 0..29: base distances and extra bits.
const LENGTH_BASE = [
  3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258,
];
const LENGTH_EXTRA = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0];
const DIST_BASE = [
  1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145,
  8193, 12289, 16385, 24577,
];
const DIST_EXTRA = [0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13];
// The order in which a dynamic block sends the code lengths of the code-length code.
const CODE_LENGTH_ORDER = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15];

/**
 * Fills `h` from code lengths; returns 0 for a complete code, > 0 for an incomplete one (codes left
 * unused), < 0 for an over-subscribed one (not a prefix code).
 */
function build(h: Huffman, lengths: Uint8Array, start: number, n: number): number {
  h.count.fill(0);
  for (let s = 0; s < n; s++) {
    const len = lengths[start + s] as number;
    h.count[len] = (h.count[len] as number) + 1;
  }
  if (h.count[0] === n) return 0;
  let left = 1;
  for (let len = 1; len <= MAX_BITS; len++) {
    left <<= 1;
    left -= h.count[len] as number;
    if (left < 0) return left;
  }
  const offsets = OFFSETS;
  offsets[1] = 0;
  for (let len = 1; len < MAX_BITS; len++) offsets[len + 1] = (offsets[len] as number) + (h.count[len] as number);
  for (let s = 0; s < n; s++) {
    const len = lengths[start + s] as number;
    if (len === 0) continue;
    const at = offsets[len] as number;
    offsets[len] = at + 1;
    h.symbol[at] = s;
  }
  return left;
}

const OFFSETS = new Uint16Array(MAX_BITS + 1);
const LENGTHS = new Uint8Array(288 + 32);
const dynamicLengths = huffman(288);
const dynamicDistances = huffman(30);
const codeLengthCode = huffman(19);
let fixed: { lengths: Huffman; distances: Huffman } | undefined;

function fixedCodes(): { lengths: Huffman; distances: Huffman } {
  if (fixed) return fixed;
  const lengths = new Uint8Array(288);
  lengths.fill(8, 0, 144);
  lengths.fill(9, 144, 256);
  lengths.fill(7, 256, 280);
  lengths.fill(8, 280, 288);
  const l = huffman(288);
  build(l, lengths, 0, 288);
  const d = huffman(30);
  build(d, new Uint8Array(30).fill(5), 0, 30);
  fixed = { lengths: l, distances: d };
  return fixed;
}

/** Reads bits least-significant first, the way DEFLATE packs them. */
class Bits {
  position = 0;
  private buffer = 0;
  private count = 0;
  /** Zero bits `lookup` appended past the end of the input: in `count`, but not to be taken. */
  private phantom = 0;

  constructor(private readonly input: Uint8Array) {}

  take(n: number): number {
    let buffer = this.buffer;
    while (this.count < n) {
      if (this.position >= this.input.length) throw OUT_OF_INPUT;
      buffer |= (this.input[this.position++] as number) << this.count;
      this.count += 8;
    }
    if (n > this.count - this.phantom) throw OUT_OF_INPUT;
    this.buffer = buffer >>> n;
    this.count -= n;
    return buffer & ((1 << n) - 1);
  }

  /** Decodes one symbol with a table of `CL_BITS`-bit entries (`fillTable`): one step, not one per bit. */
  lookup(table: Uint8Array): number {
    let buffer = this.buffer;
    while (this.count < CL_BITS) {
      if (this.position < this.input.length) buffer |= (this.input[this.position++] as number) << this.count;
      else this.phantom += 8;
      this.count += 8;
    }
    const entry = table[buffer & ((1 << CL_BITS) - 1)] as number;
    const length = entry & 7;
    if (length === 0) throw INVALID;
    if (length > this.count - this.phantom) throw OUT_OF_INPUT;
    this.buffer = buffer >>> length;
    this.count -= length;
    return entry >> 3;
  }

  /** Drops the bits left in the current byte (stored blocks start on a byte boundary). */
  align(): void {
    this.buffer = 0;
    this.count = 0;
    this.phantom = 0;
  }

  decode(h: Huffman): number {
    let code = 0;
    let first = 0;
    let index = 0;
    for (let len = 1; len <= MAX_BITS; len++) {
      code |= this.take(1);
      const count = h.count[len] as number;
      if (code - count < first) return h.symbol[index + (code - first)] as number;
      index += count;
      first = (first + count) << 1;
      code <<= 1;
    }
    throw INVALID; // a code the tables do not have (incomplete code)
  }
}

/**
 * The first `want` bytes that inflating raw DEFLATE `input` produces: fewer when the stream ends first
 * or `input` is only the start of the stream, `undefined` when the bytes are not valid DEFLATE.
 */
export function inflatePrefix(input: Uint8Array, want: number): Buffer | undefined {
  const r = inflateUpTo(input, want);
  return r?.out.subarray(0, r.written);
}

/**
 * The whole of a small raw DEFLATE stream that must inflate to exactly `size` bytes, or `undefined` when
 * it does not: invalid, cut short, or longer or shorter than `size`. For a ZIP entry's few kilobytes this
 * spares a fresh instance loading zlib and setting up its first stream (about 2 ms); a caller that gets
 * `undefined` asks zlib, which then says what is wrong exactly as before.
 */
export function inflateWhole(input: Uint8Array, size: number): Buffer | undefined {
  const r = inflateUpTo(input, size + 1);
  return r?.ended && r.written === size ? r.out.subarray(0, size) : undefined;
}

/** Inflates until `want` bytes are out or the final block ends (`ended`); `undefined` when invalid. */
function inflateUpTo(input: Uint8Array, want: number): { out: Buffer; written: number; ended: boolean } | undefined {
  const out = Buffer.alloc(want);
  let written = 0;
  let ended = false;
  const bits = new Bits(input);
  try {
    let last = 0;
    while (written < want && last === 0) {
      last = bits.take(1);
      const type = bits.take(2);
      if (type === 0) {
        bits.align();
        const at = bits.position;
        if (at + 4 > input.length) throw OUT_OF_INPUT;
        const length = (input[at] as number) | ((input[at + 1] as number) << 8);
        const check = (input[at + 2] as number) | ((input[at + 3] as number) << 8);
        if (length !== (~check & 0xffff)) throw INVALID;
        const take = Math.min(length, want - written, input.length - (at + 4));
        out.set(input.subarray(at + 4, at + 4 + take), written);
        written += take;
        // A block cut short by the end of the input ends the loop: the next read finds nothing more.
        bits.position = at + 4 + take;
        if (take === length && last === 1) ended = true;
        continue;
      }
      let lengthCode: Huffman;
      let distanceCode: Huffman;
      if (type === 1) {
        ({ lengths: lengthCode, distances: distanceCode } = fixedCodes());
      } else if (type === 2) {
        readDynamicCodes(bits);
        lengthCode = dynamicLengths;
        distanceCode = dynamicDistances;
      } else throw INVALID;
      for (;;) {
        const symbol = bits.decode(lengthCode);
        if (symbol < 256) {
          out[written++] = symbol;
          if (written === want) return { out, written, ended };
        } else if (symbol === 256) {
          if (last === 1) ended = true;
          break;
        } else {
          const l = symbol - 257;
          if (l >= 29) throw INVALID;
          const length = (LENGTH_BASE[l] as number) + bits.take(LENGTH_EXTRA[l] as number);
          const d = bits.decode(distanceCode);
          if (d >= 30) throw INVALID;
          const distance = (DIST_BASE[d] as number) + bits.take(DIST_EXTRA[d] as number);
          if (distance > written) throw INVALID; // refers before the start of the output
          for (let i = 0; i < length && written < want; i++, written++)
            out[written] = out[written - distance] as number;
          if (written === want) return { out, written, ended };
        }
      }
    }
  } catch (error) {
    if (error === INVALID) return undefined;
    if (error !== OUT_OF_INPUT) throw error;
  }
  return { out, written, ended };
}

/** The code-length code's longest codes (3-bit lengths, so at most 7 bits). */
const CL_BITS = 7;
const CL_TABLE = new Uint8Array(1 << CL_BITS);

/**
 * Fills `table` for the (complete) code `h`: indexed by the next `CL_BITS` bits as the stream holds them
 * (least significant first), each entry is `symbol << 3 | code length`. Every class starts with a dynamic
 * block whose up to 316 code lengths are read with this code, so it is worth a table.
 */
function fillTable(h: Huffman, table: Uint8Array): void {
  table.fill(0); // a code with no symbols at all leaves every entry empty: INVALID when looked up
  let code = 0;
  let index = 0;
  for (let len = 1; len <= CL_BITS; len++) {
    for (let k = 0; k < (h.count[len] as number); k++, code++) {
      const symbol = h.symbol[index++] as number;
      // Huffman codes are sent most significant bit first: reversed, they index the table.
      let reversed = 0;
      for (let b = 0; b < len; b++) reversed |= ((code >> b) & 1) << (len - 1 - b);
      for (let fill = reversed; fill < table.length; fill += 1 << len) table[fill] = (symbol << 3) | len;
    }
    code <<= 1;
  }
}

/** Reads a dynamic block's code descriptions into `dynamicLengths` and `dynamicDistances`. */
function readDynamicCodes(bits: Bits): void {
  const nlen = bits.take(5) + 257;
  const ndist = bits.take(5) + 1;
  const ncode = bits.take(4) + 4;
  if (nlen > 286 || ndist > 30) throw INVALID;
  const lengths = LENGTHS;
  for (let i = 0; i < 19; i++) lengths[CODE_LENGTH_ORDER[i] as number] = i < ncode ? bits.take(3) : 0;
  if (build(codeLengthCode, lengths, 0, 19) !== 0) throw INVALID;
  fillTable(codeLengthCode, CL_TABLE);
  let index = 0;
  while (index < nlen + ndist) {
    const symbol = bits.lookup(CL_TABLE);
    if (symbol < 16) {
      lengths[index++] = symbol;
      continue;
    }
    let repeat: number;
    let value = 0;
    if (symbol === 16) {
      if (index === 0) throw INVALID; // nothing to repeat
      value = lengths[index - 1] as number;
      repeat = 3 + bits.take(2);
    } else if (symbol === 17) repeat = 3 + bits.take(3);
    else repeat = 11 + bits.take(7);
    if (index + repeat > nlen + ndist) throw INVALID;
    while (repeat-- > 0) lengths[index++] = value;
  }
  if (lengths[256] === 0) throw INVALID; // no end-of-block code
  // Incomplete codes are allowed only when a single code of length 1 is all there is.
  const err = build(dynamicLengths, lengths, 0, nlen);
  if (err < 0 || (err > 0 && nlen - (dynamicLengths.count[0] as number) !== 1)) throw INVALID;
  const errDist = build(dynamicDistances, lengths, nlen, ndist);
  if (errDist < 0 || (errDist > 0 && ndist - (dynamicDistances.count[0] as number) !== 1)) throw INVALID;
}
