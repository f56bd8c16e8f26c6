import { compareKeys } from './keys';

/** A place in the index: chunk number and offset in it. Valid until the index is next modified. */
export interface Cursor {
  chunk: number;
  offset: number;
}

const MAX_CHUNK = 1024;

/**
 * The sorted set of keys of one bucket, in UTF-8 byte order: a list of sorted chunks of at most 1024 keys.
 * Insert and delete cost a binary search plus a splice inside one small chunk; seeking costs two binary
 * searches; so listing a page stays fast on millions of keys without walking any directory.
 */
export class SortedKeySet {
  private chunks: string[][] = [];
  private count = 0;

  /** Builds the set from keys in any order (duplicates dropped); used once when a bucket is loaded. */
  static from(keys: Iterable<string>): SortedKeySet {
    const all = Array.from(keys);
    let sorted = true;
    for (let i = 1; i < all.length && sorted; i++) if (compareKeys(all[i - 1]!, all[i]!) >= 0) sorted = false;
    if (!sorted) {
      all.sort(compareKeys);
      let w = 0;
      for (let r = 0; r < all.length; r++) if (w === 0 || all[w - 1] !== all[r]) all[w++] = all[r]!;
      all.length = w;
    }
    const set = new SortedKeySet();
    const half = MAX_CHUNK / 2;
    for (let i = 0; i < all.length; i += half) set.chunks.push(all.slice(i, i + half));
    set.count = all.length;
    return set;
  }

  get size(): number {
    return this.count;
  }

  /** Adds `key`; returns false when it was already present. */
  add(key: string): boolean {
    if (this.chunks.length === 0) {
      this.chunks.push([key]);
      this.count = 1;
      return true;
    }
    // The first chunk whose last key is >= key, or the last chunk when key is beyond every key.
    let c = this.chunkFor(key);
    if (c === this.chunks.length) c--;
    const chunk = this.chunks[c]!;
    const at = lowerBound(chunk, key);
    if (at < chunk.length && chunk[at] === key) return false;
    chunk.splice(at, 0, key);
    this.count++;
    if (chunk.length > MAX_CHUNK)
      this.chunks.splice(c, 1, chunk.slice(0, chunk.length >> 1), chunk.slice(chunk.length >> 1));
    return true;
  }

  /** Removes `key`; returns false when it was absent. */
  delete(key: string): boolean {
    const c = this.chunkFor(key);
    if (c === this.chunks.length) return false;
    const chunk = this.chunks[c]!;
    const at = lowerBound(chunk, key);
    if (at >= chunk.length || chunk[at] !== key) return false;
    chunk.splice(at, 1);
    this.count--;
    if (chunk.length === 0) this.chunks.splice(c, 1);
    return true;
  }

  /** Cursor at the first key >= `key` (or > `key` when `exclusive`). */
  seek(key: string, exclusive = false): Cursor {
    const c = exclusive ? this.chunkAfter(key) : this.chunkFor(key);
    if (c === this.chunks.length) return { chunk: c, offset: 0 };
    const chunk = this.chunks[c]!;
    return { chunk: c, offset: exclusive ? upperBound(chunk, key) : lowerBound(chunk, key) };
  }

  /**
   * Cursor at the first key that is greater than `prefix` and does not start with it: skips every key of
   * a common prefix at once. Keys sharing a prefix are contiguous in any lexicographic order.
   */
  seekPastPrefix(prefix: string): Cursor {
    const past = (k: string) => !k.startsWith(prefix) && compareKeys(k, prefix) > 0;
    let lo = 0;
    let hi = this.chunks.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const chunk = this.chunks[mid]!;
      if (past(chunk[chunk.length - 1]!)) hi = mid;
      else lo = mid + 1;
    }
    if (lo === this.chunks.length) return { chunk: lo, offset: 0 };
    const chunk = this.chunks[lo]!;
    let a = 0;
    let b = chunk.length;
    while (a < b) {
      const mid = (a + b) >> 1;
      if (past(chunk[mid]!)) b = mid;
      else a = mid + 1;
    }
    return { chunk: lo, offset: a };
  }

  /** The key at `cursor`, or undefined at the end. */
  at(cursor: Cursor): string | undefined {
    return this.chunks[cursor.chunk]?.[cursor.offset];
  }

  /** Moves `cursor` to the next key (in place) and returns it. */
  next(cursor: Cursor): Cursor {
    cursor.offset++;
    if (cursor.offset >= (this.chunks[cursor.chunk]?.length ?? 0)) {
      cursor.chunk++;
      cursor.offset = 0;
    }
    return cursor;
  }

  /** Every key in order (tests, snapshots). */
  *keys(): IterableIterator<string> {
    for (const chunk of this.chunks) yield* chunk;
  }

  private chunkFor(key: string): number {
    let lo = 0;
    let hi = this.chunks.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const chunk = this.chunks[mid]!;
      if (compareKeys(chunk[chunk.length - 1]!, key) >= 0) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }

  private chunkAfter(key: string): number {
    let lo = 0;
    let hi = this.chunks.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const chunk = this.chunks[mid]!;
      if (compareKeys(chunk[chunk.length - 1]!, key) > 0) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }
}

function lowerBound(chunk: string[], key: string): number {
  let lo = 0;
  let hi = chunk.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (compareKeys(chunk[mid]!, key) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function upperBound(chunk: string[], key: string): number {
  let lo = 0;
  let hi = chunk.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (compareKeys(chunk[mid]!, key) <= 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
