/**
 * A set of names that stays small in memory however many it holds: past a few thousand names it keeps
 * two independent 32-bit hashes per name in an open-addressing table, about 12 bytes a name instead of a
 * string and a map entry. The pruner holds the file names kept `_metadata` name in it, so a bucket whose
 * kept checkpoints name millions of files still fits the function's memory (docs/state-pruner.md §4.5);
 * the JAR inspection holds every entry name of a JAR in it.
 *
 * A pair of hashes collides about once in 2^64: the set may answer yes for a name never added, never no
 * for one that was. The pruner only asks "is this name referenced?", so a yes keeps a file; nothing is
 * ever deleted because of a hash. While the set is small it holds the names themselves and is exact.
 */

/**
 * A name's fingerprint: FNV-1a and a Murmur3-style hash with another seed, both over the UTF-16 code
 * units, so a pair collides about once in 2^64; the second is never 0 (0 marks an empty slot). One loop
 * computes both: in a fresh instance this runs in the interpreter, where each pass over the name costs.
 */
export function fingerprint(name: string): [number, number] {
  let f = 0x811c9dc5;
  let m = 0x9747b28c;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    f = Math.imul(f ^ c, 0x01000193);
    let k = Math.imul(c, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    m ^= Math.imul(k, 0x1b873593);
    m = (m << 13) | (m >>> 19);
    m = (Math.imul(m, 5) + 0xe6546b64) | 0;
  }
  m ^= name.length;
  m ^= m >>> 16;
  m = Math.imul(m, 0x85ebca6b);
  m ^= m >>> 13;
  m = Math.imul(m, 0xc2b2ae35);
  m ^= m >>> 16;
  return [f >>> 0, m >>> 0 || 1];
}

/**
 * Names a set holds as the names themselves, in a `Map`, before it turns to fingerprints. V8 hashes a
 * string natively, so a small set costs next to nothing even on a cold instance, where `fingerprint` runs
 * in the interpreter at about 10 µs a name (4 ms for the 180 names two small checkpoints hold). Past this
 * many names, memory matters more: 16,384 names in a map are about 2 MiB.
 */
export const EXACT_NAMES_MAX = 16_384;

/** A list of names kept for a later lookup: the names while few, their fingerprints when many. */
export type NameList = readonly string[] | Uint32Array;

/** Names up to this many are kept as they are in a `NameList`; a longer list is fingerprinted (8 bytes a name). */
export const NAME_LIST_EXACT_MAX = 64;

/** `names` as a `NameList`: as they are when few, as fingerprints (two numbers each) when many. */
export function nameList(names: Iterable<string>): NameList {
  const list = [...names];
  if (list.length <= NAME_LIST_EXACT_MAX) return list;
  const out = new Uint32Array(2 * list.length);
  for (let i = 0; i < list.length; i++) out.set(fingerprint(list[i] as string), 2 * i);
  return out;
}

/**
 * Names, each with the unit that named it first, for the report's "named by …". Exact (a `Map` of the
 * names) up to `EXACT_NAMES_MAX` names, by fingerprint beyond that or from the first fingerprint asked
 * about; the move keeps every name and referrer.
 */
export class NameSet {
  private exact: Map<string, number> | undefined = new Map();
  private table = new Uint32Array(2 * 1024);
  private owner = new Int32Array(1024);
  private used = 0;
  private readonly referrers: string[] = [];
  private readonly referrerIndex = new Map<string, number>();

  get size(): number {
    return this.exact ? this.exact.size : this.used;
  }

  /** Adds `name` as named by `referrer` (a unit prefix); a name already present keeps its first referrer. */
  add(name: string, referrer: string): void {
    const exact = this.exact;
    if (!exact) {
      this.addFingerprint(fingerprint(name), referrer);
      return;
    }
    if (exact.has(name)) return;
    exact.set(name, this.referrerId(referrer));
    if (exact.size > EXACT_NAMES_MAX) this.toFingerprints();
  }

  /** Adds every name of `list`, as named by `referrer`. */
  addAll(list: NameList, referrer: string): void {
    if (!(list instanceof Uint32Array)) {
      for (const name of list) this.add(name, referrer);
      return;
    }
    for (let i = 0; i < list.length; i += 2) this.addFingerprint([list[i] as number, list[i + 1] as number], referrer);
  }

  addFingerprint([a, b]: readonly [number, number], referrer: string): void {
    if (this.exact) this.toFingerprints();
    if ((this.used + 1) * 4 > this.owner.length * 3) this.grow();
    const slot = this.find(a, b);
    if (this.table[2 * slot + 1] !== 0) return;
    this.table[2 * slot] = a;
    this.table[2 * slot + 1] = b;
    this.owner[slot] = this.referrerId(referrer);
    this.used++;
  }

  /** The unit that named `name`, or undefined when no kept `_metadata` names it. */
  referrerOf(name: string): string | undefined {
    if (this.exact) {
      const id = this.exact.get(name);
      return id === undefined ? undefined : this.referrers[id];
    }
    const [a, b] = fingerprint(name);
    return this.referrerOfFingerprint(a, b);
  }

  has(name: string): boolean {
    return this.referrerOf(name) !== undefined;
  }

  /** The unit that named the name with fingerprint (a, b), or undefined. */
  referrerOfFingerprint(a: number, b: number): string | undefined {
    if (this.exact) this.toFingerprints();
    const slot = this.find(a, b);
    if (this.table[2 * slot + 1] === 0) return undefined;
    return this.referrers[this.owner[slot] as number];
  }

  /** The first referrer other than `except` of any name in `list`, or undefined. */
  firstReferrerOf(list: NameList, except: string): string | undefined {
    if (!(list instanceof Uint32Array)) {
      for (const name of list) {
        const by = this.referrerOf(name);
        if (by !== undefined && by !== except) return by;
      }
      return undefined;
    }
    for (let i = 0; i < list.length; i += 2) {
      const by = this.referrerOfFingerprint(list[i] as number, list[i + 1] as number);
      if (by !== undefined && by !== except) return by;
    }
    return undefined;
  }

  /** From names to fingerprints, for good: past `EXACT_NAMES_MAX`, or when a fingerprint is asked about. */
  private toFingerprints(): void {
    const exact = this.exact as Map<string, number>;
    this.exact = undefined;
    for (const [name, id] of exact) this.addFingerprint(fingerprint(name), this.referrers[id] as string);
  }

  private referrerId(referrer: string): number {
    let id = this.referrerIndex.get(referrer);
    if (id === undefined) {
      id = this.referrers.length;
      this.referrers.push(referrer);
      this.referrerIndex.set(referrer, id);
    }
    return id;
  }

  /** The slot holding (a, b), or the empty slot where it would go (linear probing). */
  private find(a: number, b: number): number {
    const mask = this.owner.length - 1;
    for (let slot = (a ^ Math.imul(b, 0x9e3779b1)) & mask; ; slot = (slot + 1) & mask) {
      const tb = this.table[2 * slot + 1];
      if (tb === 0 || (tb === b && this.table[2 * slot] === a)) return slot;
    }
  }

  private grow(): void {
    const oldTable = this.table;
    const oldOwner = this.owner;
    this.table = new Uint32Array(oldTable.length * 2);
    this.owner = new Int32Array(oldOwner.length * 2);
    for (let i = 0; i < oldOwner.length; i++) {
      const b = oldTable[2 * i + 1] as number;
      if (b === 0) continue;
      const a = oldTable[2 * i] as number;
      const slot = this.find(a, b);
      this.table[2 * slot] = a;
      this.table[2 * slot + 1] = b;
      this.owner[slot] = oldOwner[i] as number;
    }
  }
}
