/**
 * Which small objects of closed hour partitions are merged into which (pure; docs/log-shipper.md §4).
 * A merged object's name is derived from the sources it holds, so a rerun of the same merge writes the
 * same object and never a second copy.
 */
import { createHash } from 'node:crypto';
import { type LogKeys, type Partition, partitionStart } from './keys';

export interface StoredObject {
  key: string;
  size: number;
}

export interface Merge {
  partition: Partition;
  /** Key of the merged object. */
  target: string;
  /** Keys merged into it, in key order (the order their records appear in the merged object). */
  sources: string[];
  /** Sum of the sources' sizes. */
  bytes: number;
}

export interface CompactionPolicy {
  /** Merged objects grow up to about this many (compressed) bytes. */
  targetBytes: number;
  /** A partition is compacted once its hour ended at least this long ago (late records still arrive). */
  settleMs: number;
}

/** True when the partition's hour ended at least `settleMs` before `now`. */
export function isClosed(p: Partition, now: number, settleMs: number): boolean {
  return partitionStart(p) + 3_600_000 + settleMs <= now;
}

/** The key of the object that merges `sources` (any order) in `partition`. */
export function mergedKey(keys: LogKeys, partition: Partition, sources: readonly string[]): string {
  const h = createHash('sha256');
  for (const s of [...sources].sort()) h.update(s).update('\n');
  return keys.objectKey(partition, `m-${h.digest('hex').slice(0, 40)}`);
}

/**
 * Plans the merges of one closed partition: objects under the target size, in key order, packed greedily
 * into groups of at most `targetBytes`; a group of two or more becomes one merged object. Objects at or
 * over the target are left alone, so after compaction a partition holds about ⌈size / target⌉ objects.
 */
export function planPartition(
  keys: LogKeys,
  partition: Partition,
  objects: readonly StoredObject[],
  policy: Pick<CompactionPolicy, 'targetBytes'>,
): Merge[] {
  const small = objects.filter((o) => o.size < policy.targetBytes).sort((a, b) => (a.key < b.key ? -1 : 1));
  const merges: Merge[] = [];
  let group: StoredObject[] = [];
  let bytes = 0;
  const close = () => {
    if (group.length >= 2) {
      const sources = group.map((o) => o.key);
      merges.push({ partition, target: mergedKey(keys, partition, sources), sources, bytes });
    }
    group = [];
    bytes = 0;
  };
  for (const object of small) {
    if (group.length > 0 && bytes + object.size > policy.targetBytes) close();
    group.push(object);
    bytes += object.size;
  }
  close();
  return merges;
}
