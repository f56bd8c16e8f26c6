/**
 * A bucket as a plain map for planner tests: keys with size, time, storage class and, for `_metadata`,
 * the bytes. Planning reads the metadata with the real reader, as the function does.
 */
import { discover, type ListedObject, ownedPrefixes } from '../../shared/retention/discovery';
import { type MetadataReadResult, readMetadata } from '../../shared/retention/metadata';
import {
  metadataKeys,
  type PrunePlan,
  type PrunePolicy,
  type PruneScope,
  planPrune,
} from '../../shared/retention/plan';

export interface TreeObject extends ListedObject {
  body?: Buffer;
}

export type Tree = Map<string, TreeObject>;

export const HOUR = 3_600_000;
export const DAY = 24 * HOUR;

export const DEFAULT_POLICY: PrunePolicy = {
  keepCheckpoints: 3,
  inactiveAfterMs: 7 * DAY,
  incompleteGraceMs: HOUR,
  sharedMinAgeMs: DAY,
  savepointsMaxCount: 10,
  savepointsMaxAgeMs: 30 * DAY,
};

export function put(tree: Tree, key: string, lastModified: number, body?: Buffer, size?: number): void {
  tree.set(key, { key, size: size ?? body?.length ?? 100, lastModified, ...(body ? { body } : {}) });
}

export function planTree(
  tree: Tree,
  now: number,
  options: { policy?: Partial<PrunePolicy>; root?: string; extra?: string[]; scope?: PruneScope } = {},
): PrunePlan {
  const prefixes = ownedPrefixes(options.root ?? '', options.extra ?? []);
  const objects = [...tree.values()].map(({ body: _body, ...o }) => o);
  const metadata = new Map<string, MetadataReadResult>();
  for (const m of metadataKeys(discover(objects, prefixes))) {
    const body = tree.get(m.key)?.body;
    if (body) metadata.set(m.key, readMetadata(body));
  }
  return planPrune({
    objects,
    metadata,
    policy: { ...DEFAULT_POLICY, ...options.policy },
    now,
    prefixes,
    ...(options.scope ? { scope: options.scope } : {}),
  });
}

export function applyDeletions(tree: Tree, keys: Iterable<string>): Tree {
  const next = new Map(tree);
  for (const k of keys) next.delete(k);
  return next;
}

/** A deterministic UUID-shaped name for test objects. */
export function uuid(n: number, salt = 0): string {
  const h = ((n * 2654435761 + salt * 40503) >>> 0).toString(16).padStart(8, '0');
  const t = (n + salt * 7919).toString(16).padStart(12, '0');
  return `${h}-0000-4000-8000-${t}`;
}
