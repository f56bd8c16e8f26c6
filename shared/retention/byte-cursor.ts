/**
 * A bounds-checked big-endian reader over a byte array, the encoding of Java's `DataOutputStream`
 * (docs/state-pruner.md §2). Every read past the end throws `CursorError('TRUNCATED')`; nothing else
 * in the metadata reader indexes the bytes directly.
 */
export class CursorError extends Error {
  constructor(
    readonly reason: 'TRUNCATED' | 'INVALID',
    message: string,
    readonly offset: number,
  ) {
    super(message);
  }
}

/** A byte that plain ASCII in modified UTF-8 never holds: NUL (written as C0 80) or 0x80 and above. */
const NOT_PLAIN_ASCII = /[^\x01-\x7f]/;

export class ByteCursor {
  private pos = 0;
  private readonly view: DataView;
  /** The same bytes as a Buffer, for its native Latin-1 slice. */
  private readonly latin1: Buffer;

  constructor(private readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.latin1 = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  get offset(): number {
    return this.pos;
  }

  get remaining(): number {
    return this.bytes.length - this.pos;
  }

  private need(n: number, what: string): number {
    if (n < 0) throw new CursorError('INVALID', `negative length ${n} for ${what}`, this.pos);
    if (this.pos + n > this.bytes.length)
      throw new CursorError('TRUNCATED', `file ends inside ${what} (needs ${n} bytes)`, this.pos);
    const at = this.pos;
    this.pos += n;
    return at;
  }

  /** The next byte without consuming it. */
  peek(what = 'a byte'): number {
    if (this.pos >= this.bytes.length) throw new CursorError('TRUNCATED', `file ends before ${what}`, this.pos);
    return this.bytes[this.pos] as number;
  }

  u8(what = 'a byte'): number {
    return this.view.getUint8(this.need(1, what));
  }

  i8(what = 'a byte'): number {
    return this.view.getInt8(this.need(1, what));
  }

  u16(what = 'a short'): number {
    return this.view.getUint16(this.need(2, what));
  }

  i32(what = 'an int'): number {
    return this.view.getInt32(this.need(4, what));
  }

  i64(what = 'a long'): bigint {
    return this.view.getBigInt64(this.need(8, what));
  }

  skip(n: number, what: string): void {
    this.need(n, what);
  }

  /** A count read as a signed int that must be ≥ 0 and plausible for what is left of the file. */
  count(what: string, minItemBytes = 1): number {
    const at = this.pos;
    const n = this.i32(what);
    if (n < 0) throw new CursorError('INVALID', `negative ${what} (${n})`, at);
    if (n * minItemBytes > this.remaining)
      throw new CursorError('TRUNCATED', `${what} is ${n}, more than the rest of the file can hold`, at);
    return n;
  }

  /**
   * `DataOutputStream.writeUTF`: u16 byte length, then modified UTF-8. A string of plain ASCII (nearly
   * every one: paths, names, ids) is read in one native step; only others are decoded byte by byte.
   */
  utf(what = 'a string'): string {
    if (this.pos + 2 > this.bytes.length)
      throw new CursorError('TRUNCATED', `file ends inside the length of ${what} (needs 2 bytes)`, this.pos);
    const len = this.view.getUint16(this.pos);
    this.pos += 2;
    const at = this.need(len, what);
    const text = this.latin1.toString('latin1', at, at + len);
    return NOT_PLAIN_ASCII.test(text) ? decodeModifiedUtf8(this.bytes.subarray(at, at + len), at) : text;
  }
}

/**
 * Decodes Java's modified UTF-8 (1–3 byte forms only, NUL as C0 80, supplementary characters as
 * surrogate pairs). Anything else is `INVALID`: a corrupt `_metadata`, never a guess.
 */
function decodeModifiedUtf8(b: Uint8Array, base: number): string {
  let out = '';
  const units: number[] = [];
  let i = 0;
  while (i < b.length) {
    const c = b[i] as number;
    if (c >= 0x01 && c < 0x80) {
      units.push(c);
      i += 1;
    } else if ((c & 0xe0) === 0xc0) {
      const c2 = b[i + 1];
      if (c2 === undefined || (c2 & 0xc0) !== 0x80) throw badUtf(base + i);
      units.push(((c & 0x1f) << 6) | (c2 & 0x3f));
      i += 2;
    } else if ((c & 0xf0) === 0xe0) {
      const c2 = b[i + 1];
      const c3 = b[i + 2];
      if (c2 === undefined || c3 === undefined || (c2 & 0xc0) !== 0x80 || (c3 & 0xc0) !== 0x80) throw badUtf(base + i);
      units.push(((c & 0x0f) << 12) | ((c2 & 0x3f) << 6) | (c3 & 0x3f));
      i += 3;
    } else {
      throw badUtf(base + i);
    }
    if (units.length >= 4096) {
      out += String.fromCharCode(...units);
      units.length = 0;
    }
  }
  return out + String.fromCharCode(...units);
}

function badUtf(offset: number): CursorError {
  return new CursorError('INVALID', 'malformed modified UTF-8 in a string', offset);
}
