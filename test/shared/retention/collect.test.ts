import { describe, expect, it } from 'vitest';
import { type CollectStats, listPrefixes } from '../../../shared/retention/collect';
import type { ListedObject } from '../../../shared/retention/discovery';
import { MemoryStore } from '../../../shared/storage/memory-store';

const AREAS = ['flink-jobs/', 'flink-sessionclusters/', 'flink-savepoints/'];

async function listAll(store: MemoryStore, prefixes = AREAS) {
  const seen: string[] = [];
  const stats: CollectStats = { listRequests: 0, metadataReads: 0, metadataBytes: 0 };
  await listPrefixes(store, prefixes, { add: (o: ListedObject) => seen.push(o.key) }, { concurrency: 4, stats });
  return { seen, stats };
}

async function storeWith(keys: string[]): Promise<MemoryStore> {
  const store = new MemoryStore();
  for (const key of keys) await store.put(key, 'x');
  return store;
}

describe('listPrefixes', () => {
  it('lists a prefix that fits in one page with one request, without splitting it', async () => {
    const keys = [
      'flink-jobs/namespaces/a/deployments/d1/checkpoints/jobs/j/chk-1/_metadata',
      'flink-jobs/namespaces/b/deployments/d2/checkpoints/jobs/j/shared/f1',
      'flink-savepoints/namespaces/a/deployments/d1/savepoint-1/_metadata',
      'flink-jobs/stray-object',
    ];
    const { seen, stats } = await listAll(await storeWith([...keys, 'artifacts/namespaces/a/x.jar']));
    expect(seen.sort()).toEqual([...keys].sort());
    expect(stats.listRequests).toBe(AREAS.length);
  });

  it('lists every key of a prefix larger than a page exactly once, split by folder', async () => {
    const keys: string[] = ['flink-jobs/at-the-root', 'flink-savepoints/namespaces/a/deployments/d/sp-1/_metadata'];
    for (let ns = 0; ns < 3; ns++)
      for (let d = 0; d < 4; d++)
        for (let f = 0; f < 110; f++)
          keys.push(`flink-jobs/namespaces/ns${ns}/deployments/d${d}/checkpoints/jobs/j/shared/file-${f}`);
    keys.push('flink-jobs/namespaces/ns0/loose-object', 'flink-jobs/namespaces/ns1/deployments/loose');
    const { seen, stats } = await listAll(await storeWith(keys));
    expect(seen.length).toBe(keys.length);
    expect(new Set(seen)).toEqual(new Set(keys));
    // flink-jobs/ is split (its first two pages are read again); the two small areas take one request each.
    expect(stats.listRequests).toBeGreaterThan(AREAS.length + 2);
  });

  it('counts one request per area in an empty bucket', async () => {
    const { seen, stats } = await listAll(new MemoryStore());
    expect(seen).toEqual([]);
    expect(stats.listRequests).toBe(AREAS.length);
  });
});
