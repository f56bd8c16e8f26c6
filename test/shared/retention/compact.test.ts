import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { NameSet } from '../../../shared/names/name-set';
import { DeletedLog } from '../../../shared/retention/deleted-log';
import { ownedPrefixes } from '../../../shared/retention/discovery';
import { ListingIndex } from '../../../shared/retention/listing-index';
import type { PlannedDeletion } from '../../../shared/retention/plan';
import { MemoryStore } from '../../../shared/storage/memory-store';

describe('NameSet', () => {
  it('answers exactly for the names added, whatever their number, and remembers who named each first', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.string({ minLength: 0, maxLength: 40 }), { maxLength: 3000 }),
        fc.array(fc.string({ maxLength: 40 }), { maxLength: 200 }),
        (names, probes) => {
          const set = new NameSet();
          names.forEach((n, i) => {
            set.add(n, `unit-${i % 7}/`);
          });
          for (const n of names) set.add(n, 'later/');
          expect(set.size).toBe(names.length);
          names.forEach((n, i) => {
            expect(set.referrerOf(n)).toBe(`unit-${i % 7}/`);
          });
          const added = new Set(names);
          // A miss for a name never added is what keeps deletion exact; a fingerprint collision could only
          // turn it into a hit (a keep), which 2 × 32 bits make vanishingly rare.
          for (const p of probes) if (!added.has(p)) expect(set.has(p)).toBe(false);
        },
      ),
      { numRuns: 40 },
    );
  });
});

describe('ListingIndex', () => {
  const prefixes = ownedPrefixes('', ['state/']);
  const job = 'flink-jobs/namespaces/ns/deployments/d1/checkpoints/jobs/j/0000000000000000000000000000000a/';

  it('gives back every object of an owner as listed, after packing, with sizes, times and classes', () => {
    const index = new ListingIndex();
    const objects = Array.from({ length: 45_000 }, (_, i) => ({
      key: `${job}shared/${String(i).padStart(6, '0')}-名`,
      size: i,
      lastModified: 1_700_000_000_000 + i,
      ...(i % 1000 === 0 ? { storageClass: 'IA' } : {}),
    }));
    for (const o of objects) index.add(o);
    index.add({ key: `${job}chk-1/_metadata`, size: 10, lastModified: 5 });
    index.add({ key: 'flink-jobs/namespaces/ns/deployments/d1/ha/x', size: 3, lastModified: 5 });
    index.add({ key: 'flink-jobs/namespaces/ns/readme.txt', size: 4, lastModified: 5 });
    index.add({ key: 'artifacts/namespaces/ns/app.jar', size: 5, lastModified: 5 });
    const groups = index.groupByOwner(prefixes);
    expect([...groups.owners.keys()]).toEqual(['ns/deployments/d1']);
    const dirs = groups.owners.get('ns/deployments/d1') as string[];
    const back = index.objectsOf(dirs);
    expect(back.find((o) => o.key.endsWith('/_metadata'))).toEqual({
      key: `${job}chk-1/_metadata`,
      size: 10,
      lastModified: 5,
    });
    expect(back.filter((o) => o.key.includes('/shared/'))).toEqual(objects);
    expect(groups.ha).toEqual({ count: 1, bytes: 3 });
    expect(groups.unowned).toEqual({ count: 1, bytes: 4, examples: ['flink-jobs/namespaces/ns/readme.txt'] });
    expect(index.count).toBe(45_004);
    index.remove(`${job}chk-1/_metadata`);
    expect(index.objectsOf(dirs).some((o) => o.key.endsWith('_metadata'))).toBe(false);
    expect(index.count).toBe(45_003);
  });
});

describe('DeletedLog', () => {
  const deletion = (i: number): PlannedDeletion => ({
    key: `flink-jobs/k-${i}`,
    size: i,
    storageClass: 'Standard',
    reason: 'SHARED_UNREFERENCED',
    unit: 'flink-jobs/',
    owner: 'o',
  });

  it('keeps the first keys inline and writes the rest in numbered NDJSON parts, in order', async () => {
    const store = new MemoryStore({ bucket: 'b' });
    const log = new DeletedLog(store, 'logs/_reports/state-pruner/2026/12/01/run.deleted', 3, 4);
    for (let i = 0; i < 12; i++) log.add(deletion(i));
    await log.settled();
    await log.flush();
    expect(log.inline.map((d) => d.key)).toEqual(['flink-jobs/k-0', 'flink-jobs/k-1', 'flink-jobs/k-2']);
    expect(log.parts).toEqual([
      'logs/_reports/state-pruner/2026/12/01/run.deleted-00001.ndjson',
      'logs/_reports/state-pruner/2026/12/01/run.deleted-00002.ndjson',
      'logs/_reports/state-pruner/2026/12/01/run.deleted-00003.ndjson',
    ]);
    const lines: string[] = [];
    for (const part of log.parts)
      lines.push(...((await store.getBuffer(part))?.toString('utf8') ?? '').trim().split('\n'));
    expect(lines.map((l) => (JSON.parse(l) as { key: string }).key)).toEqual(
      Array.from({ length: 9 }, (_, i) => `flink-jobs/k-${i + 3}`),
    );
    expect(JSON.parse(lines[0] as string)).toEqual({
      key: 'flink-jobs/k-3',
      size: 3,
      reason: 'SHARED_UNREFERENCED',
      storageClass: 'Standard',
    });
  });

  it('names a part it could not write instead of failing the run', async () => {
    const store = new MemoryStore({ bucket: 'b' });
    store.failNext('PutObject', 5);
    const log = new DeletedLog(store, 'logs/x', 0, 2);
    for (let i = 0; i < 3; i++) log.add(deletion(i));
    await log.flush();
    expect(log.errors).toHaveLength(2);
    expect(log.errors[0]).toMatch(/^logs\/x-00001\.ndjson: /);
  });
});
