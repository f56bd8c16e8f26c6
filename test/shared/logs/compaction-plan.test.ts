import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isClosed, mergedKey, planPartition } from '../../../shared/logs/compaction-plan';
import { LogKeys, partitionOf } from '../../../shared/logs/keys';

const keys = new LogKeys('');
const p = partitionOf('team-a', 'dep-1', Date.parse('2025-12-01T07:30:00Z'));
const obj = (name: string, size: number) => ({ key: keys.objectKey(p, name), size });

describe('planPartition', () => {
  it('merges every small object into one when they fit the target', () => {
    const merges = planPartition(keys, p, [obj('r-3', 10), obj('h-1', 20), obj('k-2', 30)], { targetBytes: 100 });
    expect(merges).toHaveLength(1);
    expect(merges[0]!.sources).toEqual([obj('h-1', 0).key, obj('k-2', 0).key, obj('r-3', 0).key]);
    expect(merges[0]!.bytes).toBe(60);
  });

  it('leaves objects at the target size and lone small objects alone', () => {
    expect(planPartition(keys, p, [obj('a', 100), obj('b', 10)], { targetBytes: 100 })).toEqual([]);
  });

  it('derives the merged name from the sources, whatever their order', () => {
    const a = mergedKey(keys, p, ['x', 'y']);
    expect(mergedKey(keys, p, ['y', 'x'])).toBe(a);
    expect(mergedKey(keys, p, ['x', 'z'])).not.toBe(a);
    expect(a).toMatch(/\/hour=07\/m-[0-9a-f]{40}\.ndjson\.gz$/);
  });

  it('uses every object at most once, keeps groups within the target, and leaves few objects', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 120 }), { maxLength: 60 }), (sizes) => {
        const objects = sizes.map((size, i) => obj(`r-${String(i).padStart(3, '0')}`, size));
        const merges = planPartition(keys, p, objects, { targetBytes: 100 });
        const used = merges.flatMap((m) => m.sources);
        expect(new Set(used).size).toBe(used.length);
        for (const m of merges) {
          expect(m.sources.length).toBeGreaterThanOrEqual(2);
          expect(m.bytes).toBeLessThanOrEqual(100);
        }
        // After merging, small objects left + merged objects: adjacent groups could not be combined.
        const small = objects.filter((o) => o.size < 100);
        const total = small.reduce((n, o) => n + o.size, 0);
        const after = small.length - used.length + merges.length;
        expect(after).toBeLessThanOrEqual(Math.max(1, 2 * Math.ceil(total / 100)));
      }),
    );
  });
});

describe('isClosed', () => {
  it('closes a partition once its hour ended and the settle time passed', () => {
    const end = Date.parse('2025-12-01T08:00:00Z');
    expect(isClosed(p, end + 599_999, 600_000)).toBe(false);
    expect(isClosed(p, end + 600_000, 600_000)).toBe(true);
  });
});
