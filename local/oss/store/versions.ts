import { randomBytes } from 'node:crypto';
import type { IndexEntry, ObjectRecord } from './types';

/** The version id OSS reports for objects written while versioning was off or suspended. */
export const NULL_VERSION = 'null';

/** A record's version id: its own, or `null` for objects written without versioning. */
export const versionIdOf = (record: Pick<ObjectRecord, 'versionId'>): string => record.versionId ?? NULL_VERSION;

let counter = 0;
/**
 * A new version id, unique in this data directory and opaque like OSS's (`CAEQ…`): the time, a counter
 * and random bytes, base64url.
 */
export function newVersionId(): string {
  counter = (counter + 1) & 0xffffff;
  const raw = Buffer.alloc(20);
  raw.writeUIntBE(Date.now(), 0, 6);
  raw.writeUIntBE(counter, 6, 3);
  randomBytes(11).copy(raw, 9);
  return `CAEQ${raw.toString('base64url')}`;
}

/**
 * A bucket's object index as the journal describes it: the current object of every key (`objects`,
 * never a delete marker) and, for keys written since versioning was first turned on, every version
 * newest first (`versions`, delete markers included). Replaying the same entries always yields the same
 * index, so the disk backend and the engine share this one definition of what an entry means.
 */
export class IndexFold {
  readonly objects = new Map<string, ObjectRecord>();
  readonly versions = new Map<string, ObjectRecord[]>();

  /** Applies one journaled change. */
  apply(entry: IndexEntry): void {
    if ('put' in entry) {
      const r = entry.put;
      // Unversioned buckets take this path only: one record per key.
      if (r.versionId === undefined && !this.versions.has(r.key)) this.objects.set(r.key, r);
      else this.putVersion(r);
    } else if ('set' in entry) {
      const list = this.versions.get(entry.set.key);
      const id = versionIdOf(entry.set);
      const at = list?.findIndex((v) => versionIdOf(v) === id) ?? -1;
      if (list && at !== -1) {
        list[at] = entry.set;
        this.settle(entry.set.key, list);
      } else this.apply({ put: entry.set });
    } else if (entry.versionId === undefined) {
      this.objects.delete(entry.del);
      this.versions.delete(entry.del);
    } else {
      const list = this.history(entry.del).filter((v) => versionIdOf(v) !== entry.versionId);
      this.settle(entry.del, list);
    }
  }

  /** A key's versions, newest first (a key never versioned has at most its current object, version `null`). */
  history(key: string): ObjectRecord[] {
    const list = this.versions.get(key);
    if (list) return list;
    const current = this.objects.get(key);
    return current ? [current] : [];
  }

  /** Every record, oldest version of each key first: replaying them as puts rebuilds this index. */
  *records(): Generator<ObjectRecord> {
    for (const [key, record] of this.objects) if (!this.versions.has(key)) yield record;
    for (const list of this.versions.values()) for (let i = list.length - 1; i >= 0; i--) yield list[i]!;
  }

  private putVersion(record: ObjectRecord): void {
    const id = versionIdOf(record);
    const list = [record, ...this.history(record.key).filter((v) => versionIdOf(v) !== id)];
    this.settle(record.key, list);
  }

  private settle(key: string, list: ObjectRecord[]): void {
    if (list.length === 0) {
      this.versions.delete(key);
      this.objects.delete(key);
      return;
    }
    this.versions.set(key, list);
    const current = list[0]!;
    if (current.deleteMarker) this.objects.delete(key);
    else this.objects.set(key, current);
  }
}
