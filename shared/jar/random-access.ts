/**
 * Random access to the bytes of one object, the way the ZIP central directory is read: a few small reads
 * near the end of the file. Implementations: a Buffer (tests, nested JARs) and ranged GETs on the store
 * (`./store-source`).
 */
export interface RandomAccessSource {
  /** Total size in bytes. */
  readonly size: number;
  /** Exactly `length` bytes from `offset`; rejects when the range lies outside the object. */
  read(offset: number, length: number): Promise<Buffer>;
  /**
   * The same bytes at once when they are already in memory, else `undefined`. Lets the ZIP reader walk
   * a held central directory without a promise per header (tens of thousands of entries in a fat JAR).
   */
  readHeld?(offset: number, length: number): Buffer | undefined;
}

/** A {@link RandomAccessSource} over bytes already in memory. */
export function bufferSource(bytes: Buffer): RandomAccessSource {
  return {
    size: bytes.length,
    read(offset, length) {
      if (offset < 0 || length < 0 || offset + length > bytes.length)
        return Promise.reject(new RangeError(`read of ${length} bytes at ${offset} is outside ${bytes.length} bytes`));
      return Promise.resolve(bytes.subarray(offset, offset + length));
    },
    readHeld(offset, length) {
      if (offset < 0 || length < 0 || offset + length > bytes.length) return undefined;
      return bytes.subarray(offset, offset + length);
    },
  };
}

/** Options of {@link cachedSource}. */
export interface BlockCacheOptions {
  /** Bytes fetched per request, aligned to multiples of this size; default 64 KiB. Larger reads bypass the cache. */
  blockSize?: number;
  /** Blocks kept (least recently used goes first); default 4. */
  blocks?: number;
}

/**
 * Wraps a ranged reader with an aligned block cache, so the many tiny reads a ZIP reader makes (46-byte
 * headers, then names) become a few requests of `blockSize` bytes each. Memory stays at most
 * `blocks × blockSize` plus the read in progress.
 */
export function cachedSource(
  size: number,
  fetchRange: (start: number, endInclusive: number) => Promise<Buffer>,
  options: BlockCacheOptions = {},
): RandomAccessSource & { readonly requests: number } {
  const blockSize = options.blockSize ?? 64 * 1024;
  const maxBlocks = Math.max(1, options.blocks ?? 4);
  const cache = new Map<number, Promise<Buffer>>();
  let requests = 0;

  const block = (index: number): Promise<Buffer> => {
    const hit = cache.get(index);
    if (hit) {
      // Re-insert: Map keeps insertion order, so the first key is the least recently used.
      cache.delete(index);
      cache.set(index, hit);
      return hit;
    }
    const start = index * blockSize;
    const end = Math.min(size, start + blockSize) - 1;
    requests++;
    const loading = fetchRange(start, end).then((buf) => {
      if (buf.length !== end - start + 1)
        throw new RangeError(`ranged read ${start}-${end} returned ${buf.length} bytes, not ${end - start + 1}`);
      return buf;
    });
    loading.catch(() => cache.delete(index));
    cache.set(index, loading);
    while (cache.size > maxBlocks) cache.delete(cache.keys().next().value as number);
    return loading;
  };

  return {
    size,
    get requests() {
      return requests;
    },
    async read(offset, length) {
      if (offset < 0 || length < 0 || offset + length > size)
        throw new RangeError(`read of ${length} bytes at ${offset} is outside ${size} bytes`);
      if (length === 0) return Buffer.alloc(0);
      // A read as large as a block gains nothing from the cache: one request of exactly that range.
      if (length >= blockSize) {
        requests++;
        const bytes = await fetchRange(offset, offset + length - 1);
        if (bytes.length !== length)
          throw new RangeError(`ranged read at ${offset} returned ${bytes.length} bytes, not ${length}`);
        return bytes;
      }
      const first = Math.floor(offset / blockSize);
      const last = Math.floor((offset + length - 1) / blockSize);
      if (first === last) {
        const buf = await block(first);
        const at = offset - first * blockSize;
        return buf.subarray(at, at + length);
      }
      const out = Buffer.allocUnsafe(length);
      let written = 0;
      for (let i = first; i <= last; i++) {
        const buf = await block(i);
        const from = Math.max(offset, i * blockSize) - i * blockSize;
        const to = Math.min(offset + length, (i + 1) * blockSize) - i * blockSize;
        written += buf.copy(out, written, from, to);
      }
      return out;
    },
  };
}

/** Where the end-of-central-directory record says the central directory is; `undefined` when ZIP64 or absent. */
function centralDirectorySpan(tail: Buffer, tailStart: number): { start: number; end: number } | undefined {
  for (let i = tail.length - 22; i >= 0; i--) {
    if (tail.readUInt32LE(i) !== 0x06054b50) continue;
    const size = tail.readUInt32LE(i + 12);
    const offset = tail.readUInt32LE(i + 16);
    if (offset === 0xffffffff || size === 0xffffffff) return undefined;
    return { start: offset, end: tailStart + i };
  }
  return undefined;
}

/**
 * Reads the end of the file and the whole central directory up front, in one or two requests, so the ZIP
 * reader's walk over it is served from memory. Falls back to `source` for everything else (ZIP64
 * records, corrupt offsets, a directory larger than `maxBytes`).
 */
export async function withCentralDirectory(
  source: RandomAccessSource,
  maxBytes = 32 * 1024 * 1024,
): Promise<RandomAccessSource> {
  const tailLength = Math.min(source.size, 0xffff + 22 + 20);
  const tailStart = source.size - tailLength;
  const tail = await source.read(tailStart, tailLength);
  const span = centralDirectorySpan(tail, tailStart);
  let start = tailStart;
  let held = tail;
  if (span && span.start < tailStart && span.start <= span.end && source.size - span.start <= maxBytes) {
    const head = await source.read(span.start, tailStart - span.start);
    held = Buffer.concat([head, tail]);
    start = span.start;
  }
  const readHeld = (offset: number, length: number): Buffer | undefined =>
    offset >= start && length >= 0 && offset + length <= source.size
      ? held.subarray(offset - start, offset - start + length)
      : source.readHeld?.(offset, length);
  return {
    size: source.size,
    read(offset, length) {
      const bytes = readHeld(offset, length);
      return bytes ? Promise.resolve(bytes) : source.read(offset, length);
    },
    readHeld,
  };
}
