import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { IndexEntry, ObjectRecord } from '../../../local/oss/store/types';
import { IndexFold } from '../../../local/oss/store/versions';

const record = (key: string, n: number, versionId?: string, deleteMarker = false): ObjectRecord => ({
  key,
  blob: deleteMarker ? '' : `blob-${n}`,
  size: n,
  etag: `E${n}`,
  crc64: '0',
  lastModified: n * 1000,
  type: 'Normal',
  storageClass: 'Standard',
  ...(versionId !== undefined ? { versionId } : {}),
  ...(deleteMarker ? { deleteMarker: true as const } : {}),
});

/** Journal entries as the engine writes them: unversioned first, then versioned with ids or `null`. */
const entries = fc
  .array(
    fc.record({
      key: fc.constantFrom('a', 'b', 'c'),
      op: fc.constantFrom('put', 'marker', 'del-version', 'set'),
      id: fc.constantFrom('null', 'v1', 'v2', 'v3', 'v4'),
    }),
    { maxLength: 40 },
  )
  .map((ops) => {
    const out: IndexEntry[] = [{ put: record('a', 0) }, { put: record('b', 1) }];
    ops.forEach((o, n) => {
      if (o.op === 'put') out.push({ put: record(o.key, n + 2, o.id) });
      else if (o.op === 'marker') out.push({ put: record(o.key, n + 2, o.id, true) });
      else if (o.op === 'set') out.push({ set: record(o.key, n + 2, o.id) });
      else out.push({ del: o.key, versionId: o.id });
    });
    return out;
  });

describe('IndexFold', () => {
  it('a snapshot of its records replays to the same index (compaction keeps every version in order)', () => {
    fc.assert(
      fc.property(entries, (journal) => {
        const live = new IndexFold();
        for (const entry of journal) live.apply(entry);
        const replayed = new IndexFold();
        for (const r of live.records()) replayed.apply({ put: r });
        expect(Object.fromEntries(replayed.objects)).toEqual(Object.fromEntries(live.objects));
        for (const key of ['a', 'b', 'c']) expect(replayed.history(key)).toEqual(live.history(key));
      }),
    );
  });

  it('never makes a delete marker the current object, and the current object is the newest version', () => {
    fc.assert(
      fc.property(entries, (journal) => {
        const fold = new IndexFold();
        for (const entry of journal) fold.apply(entry);
        for (const key of ['a', 'b', 'c']) {
          const newest = fold.history(key)[0];
          expect(fold.objects.get(key)).toBe(newest?.deleteMarker ? undefined : newest);
        }
      }),
    );
  });

  it('keeps the version a pre-versioning object became (null) below newer ones, and replaces it by null writes', () => {
    const fold = new IndexFold();
    fold.apply({ put: record('k', 1) });
    fold.apply({ put: record('k', 2, 'v1') });
    expect(fold.history('k').map((r) => r.size)).toEqual([2, 1]);
    fold.apply({ put: record('k', 3, 'null') });
    expect(fold.history('k').map((r) => [r.size, r.versionId])).toEqual([
      [3, 'null'],
      [2, 'v1'],
    ]);
    fold.apply({ del: 'k', versionId: 'null' });
    expect(fold.objects.get('k')?.size).toBe(2);
  });
});
