/**
 * A bucket listing kept compact: objects grouped by directory, each directory holding its file names,
 * sizes, times and (only where not Standard) storage classes in parallel arrays. A key is stored once as
 * its directory plus a short name instead of one object per key, which is what lets a run over a million
 * objects stay small; the planner turns one owner's directories back into `ListedObject`s when it looks
 * at that owner (docs/state-pruner.md §5.1).
 */
import { type ListedObject, ownerIdOf } from './discovery';

interface DirEntries {
  /** Names already packed: each chunk is names joined by "/", which no name contains. */
  packed: string[];
  /** Names added since the last packing, in order after `packed`. */
  names: string[];
  /** Objects in the directory. */
  length: number;
  sizes: number[];
  times: number[];
  /** Sparse: set only at the positions of objects that are not Standard. */
  classes?: string[];
}

/** Directories grouped by what they belong to. */
export interface OwnerGroups {
  /** Owner id → its directories, both in key order. */
  owners: Map<string, string[]>;
  unowned: { count: number; bytes: number; examples: string[] };
  ha: { count: number; bytes: number };
}

/**
 * A copy that holds no reference to the string it came from: a name cut out of a key, itself perhaps cut
 * out of a parsed listing page, would otherwise keep the whole page's text alive.
 */
function own(s: string): string {
  return JSON.parse(JSON.stringify(s)) as string;
}

/** Names are packed after this many additions: a packed name costs its characters, an unpacked one ~90 bytes more. */
const PACK_EVERY = 20_000;

export class ListingIndex {
  private readonly dirs = new Map<string, DirEntries>();
  private unpacked = new Set<DirEntries>();
  private sincePack = 0;
  count = 0;
  bytes = 0;

  add(o: ListedObject): void {
    const cut = o.key.lastIndexOf('/') + 1;
    const dir = o.key.slice(0, cut);
    let d = this.dirs.get(dir);
    if (!d) {
      d = { packed: [], names: [], length: 0, sizes: [], times: [] };
      this.dirs.set(own(dir), d);
    }
    d.names.push(o.key.slice(cut));
    this.unpacked.add(d);
    const i = d.length++;
    d.sizes.push(o.size);
    d.times.push(o.lastModified);
    if (o.storageClass && o.storageClass !== 'Standard') {
      d.classes ??= [];
      d.classes[i] = o.storageClass;
    }
    this.count++;
    this.bytes += o.size;
    if (++this.sincePack >= PACK_EVERY) this.pack();
  }

  /** Joins the names added since the last packing into one flat string per directory. */
  private pack(): void {
    for (const d of this.unpacked) {
      if (d.names.length === 0) continue;
      d.packed.push(d.names.join('/'));
      d.names = [];
    }
    this.unpacked = new Set();
    this.sincePack = 0;
  }

  private namesOf(d: DirEntries): string[] {
    const out: string[] = [];
    for (const chunk of d.packed) out.push(...chunk.split('/'));
    out.push(...d.names);
    return out;
  }

  /** Forgets one object (a `_metadata` that was gone when read). */
  remove(key: string): void {
    const cut = key.lastIndexOf('/') + 1;
    const d = this.dirs.get(key.slice(0, cut));
    if (!d) return;
    const names = this.namesOf(d);
    const i = names.indexOf(key.slice(cut));
    if (i < 0) return;
    this.count--;
    this.bytes -= d.sizes[i] as number;
    names.splice(i, 1);
    d.packed = names.length > 0 ? [names.join('/')] : [];
    d.names = [];
    d.length--;
    d.sizes.splice(i, 1);
    d.times.splice(i, 1);
    d.classes?.splice(i, 1);
  }

  /** The objects of `dirs`, as the planner reads them. */
  objectsOf(dirs: Iterable<string>): ListedObject[] {
    const out: ListedObject[] = [];
    for (const dir of dirs) {
      const d = this.dirs.get(dir);
      if (!d) continue;
      const names = this.namesOf(d);
      for (let i = 0; i < names.length; i++) {
        const storageClass = d.classes?.[i];
        out.push({
          key: dir + names[i],
          size: d.sizes[i] as number,
          lastModified: d.times[i] as number,
          ...(storageClass ? { storageClass } : {}),
        });
      }
    }
    return out;
  }

  /** Groups the directories by owner; objects under `ha/` or in no Flink directory are only counted. */
  groupByOwner(prefixes: readonly string[]): OwnerGroups {
    const owners = new Map<string, string[]>();
    const unowned = { count: 0, bytes: 0, examples: [] as string[] };
    const ha = { count: 0, bytes: 0 };
    this.pack();
    for (const dir of [...this.dirs.keys()].sort(cmp)) {
      const d = this.dirs.get(dir) as DirEntries;
      if (d.length === 0) continue;
      // Every object of a directory lands in the same place; a folder marker (empty name) is skipped by discovery.
      const at = ownerIdOf(`${dir}x`, prefixes);
      if (at === undefined) continue;
      if (at === 'ha' || at === 'unowned') {
        const target = at === 'ha' ? ha : unowned;
        const names = this.namesOf(d);
        for (let i = 0; i < names.length; i++) {
          if (names[i] === '') continue;
          target.count++;
          target.bytes += d.sizes[i] as number;
          if (at === 'unowned' && unowned.examples.length < 20) unowned.examples.push(dir + names[i]);
        }
        continue;
      }
      const list = owners.get(at.id);
      if (list) list.push(dir);
      else owners.set(at.id, [dir]);
    }
    return { owners: new Map([...owners].sort((a, b) => cmp(a[0], b[0]))), unowned, ha };
  }
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
