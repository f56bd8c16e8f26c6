/**
 * Compaction against the local OSS server through the ali-oss adapter: merges keep the exact multiset of
 * records, and a run killed after any number of storage calls, then run again (and killed again), neither
 * loses nor duplicates a record.
 */
import { gunzipSync, gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningOssServer, startOssServer } from '../../../local/oss';
import { type CompactionReport, compactLogs } from '../../../shared/logs/compaction';
import { LogKeys, type Partition, partitionOf } from '../../../shared/logs/keys';
import { AliOssStore } from '../../../shared/storage/ali-oss-store';
import type { ObjectStore } from '../../../shared/storage/port';

const KEYS = { accessKeyId: 'ak', accessKeySecret: 'sk' };
const keys = new LogKeys('');
const NOW = Date.parse('2025-12-02T03:30:00Z');
const closed = partitionOf('team-a', 'dep-1', Date.parse('2025-12-02T01:10:00Z'));
const open = partitionOf('team-a', 'dep-1', Date.parse('2025-12-02T03:10:00Z'));

let oss: RunningOssServer;
let bucketNo = 0;

beforeAll(async () => {
  oss = await startOssServer({ port: 0, host: '127.0.0.1', accessKeys: [KEYS], buckets: [] });
}, 30_000);
afterAll(async () => {
  await oss?.close();
});

/** A fresh, empty bucket on the server, through the real adapter. */
async function freshStore(): Promise<AliOssStore> {
  const bucket = `compaction-${++bucketNo}`;
  const admin = new (await import('ali-oss')).default({
    endpoint: `http://localhost:${oss.port}`,
    sldEnable: true,
    region: 'oss-cn-hangzhou',
    ...KEYS,
  } as never) as unknown as { putBucket(name: string): Promise<unknown> };
  await admin.putBucket(bucket);
  return new AliOssStore({
    config: {
      bucket,
      region: 'cn-hangzhou',
      endpoint: { protocol: 'http:', host: `localhost:${oss.port}` },
      internal: false,
      publicEndpoint: undefined,
      accelerate: false,
      secure: false,
      pathStyle: true,
      rootDirectory: '',
      encryption: undefined,
      chunkSize: 10 * 1024 * 1024,
      signatureVersion: 'v4',
    },
    credentials: () => KEYS,
    retry: { attempts: 1, baseDelayMs: 1, maxDelayMs: 1 },
  });
}

/** Writes `sizes.length` batch objects into a partition; returns every line written. */
async function seed(store: ObjectStore, p: Partition, counts: number[], tag: string): Promise<string[]> {
  const all: string[] = [];
  for (const [i, n] of counts.entries()) {
    const lines = Array.from({ length: n }, (_, j) =>
      JSON.stringify({
        ts: `${p.date}T${p.hour}:00:00.000000Z`,
        message: `${tag} object ${i} line ${j} ${'x'.repeat(j % 7)}`,
      }),
    );
    all.push(...lines);
    await store.put(keys.objectKey(p, `r-${tag}-${String(i).padStart(3, '0')}`), gzipSync(`${lines.join('\n')}\n`), {
      forbidOverwrite: true,
    });
  }
  return all;
}

async function linesUnder(store: ObjectStore, prefix: string): Promise<string[]> {
  const lines: string[] = [];
  for await (const page of store.list({ prefix }))
    for (const o of page.objects) {
      const text = gunzipSync((await store.getBuffer(o.key))!).toString('utf8');
      lines.push(...text.split('\n').filter(Boolean));
    }
  return lines;
}

async function keysUnder(store: ObjectStore, prefix: string): Promise<string[]> {
  const out: string[] = [];
  for await (const page of store.list({ prefix })) out.push(...page.objects.map((o) => o.key));
  return out;
}

const run = (store: ObjectStore, targetBytes = 1_000_000): Promise<CompactionReport> =>
  compactLogs({ store, keys, targetBytes, settleMs: 15 * 60_000, lookbackMs: 3 * 86_400_000, now: () => NOW });

class Crash extends Error {}

/** The store, dying at its `crashAt`-th call (0-based): every call after that throws too. */
function crashing(inner: ObjectStore, crashAt: number): ObjectStore & { calls: number } {
  let calls = 0;
  const step = () => {
    if (calls++ >= crashAt) throw new Crash(`killed at storage call ${crashAt}`);
  };
  const guard =
    <A extends unknown[], R>(fn: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      step();
      return fn(...args);
    };
  const store = {
    bucket: inner.bucket,
    multipart: inner.multipart,
    get calls() {
      return calls;
    },
    head: guard(inner.head.bind(inner)),
    get: guard(inner.get.bind(inner)),
    getBuffer: guard(inner.getBuffer.bind(inner)),
    put: guard(inner.put.bind(inner)),
    copy: guard(inner.copy.bind(inner)),
    delete: guard(inner.delete.bind(inner)),
    deleteMany: guard(inner.deleteMany.bind(inner)),
    async *list(o?: Parameters<ObjectStore['list']>[0]) {
      for await (const page of inner.list(o)) {
        step();
        yield page;
      }
    },
  };
  return store as unknown as ObjectStore & { calls: number };
}

describe('compactLogs', () => {
  it('merges the small objects of closed partitions into one, keeping every record, and leaves open hours alone', async () => {
    const store = await freshStore();
    const before = await seed(store, closed, [5, 1, 12, 3, 8], 'c');
    await seed(store, open, [2, 2], 'o');
    const report = await run(store);
    expect(report).toMatchObject({ merges: 1, objectsMerged: 5, recovered: 0, skipped: [], stoppedEarly: false });
    const after = await keysUnder(store, keys.partitionPrefix(closed));
    expect(after).toEqual([expect.stringMatching(/\/m-[0-9a-f]{40}\.ndjson\.gz$/)]);
    // Same records, same order (sources in key order), nothing else.
    expect(await linesUnder(store, keys.partitionPrefix(closed))).toEqual(before);
    expect(await keysUnder(store, keys.partitionPrefix(open))).toHaveLength(2);
    expect(await keysUnder(store, keys.compactionPrefix())).toEqual([]);
    // A second run has nothing to do.
    expect((await run(store)).merges).toBe(0);
  });

  it('merges late arrivals into the merged object on a later run, up to the target size', async () => {
    const store = await freshStore();
    const first = await seed(store, closed, [4, 4], 'a');
    await run(store);
    const late = await seed(store, closed, [3], 'b');
    await run(store);
    const lines = await linesUnder(store, keys.partitionPrefix(closed));
    expect(lines.sort()).toEqual([...first, ...late].sort());
    expect(await keysUnder(store, keys.partitionPrefix(closed))).toHaveLength(1);
  });

  it('keeps objects separate beyond the target size', async () => {
    const store = await freshStore();
    await seed(store, closed, [40, 40, 40, 40], 'big');
    const sizes: number[] = [];
    for await (const page of store.list({ prefix: keys.partitionPrefix(closed) }))
      sizes.push(...page.objects.map((o) => o.size));
    const target = sizes[0]! * 2 + 1;
    await run(store, target);
    expect(await keysUnder(store, keys.partitionPrefix(closed))).toHaveLength(2);
  });

  it('killed after any number of storage calls, then run again, neither loses nor duplicates a record', async () => {
    // How many calls a whole run makes: every crash point from 0 to that is tried.
    const probe = await freshStore();
    await seed(probe, closed, [3, 2, 4], 'p');
    const counting = crashing(probe, Number.POSITIVE_INFINITY);
    await run(counting);
    const total = counting.calls;
    expect(total).toBeGreaterThan(8);

    for (let crashAt = 0; crashAt <= total; crashAt++) {
      const store = await freshStore();
      const before = await seed(store, closed, [3, 2, 4], 'p');
      await run(crashing(store, crashAt)).catch((e) => {
        if (!(e instanceof Crash)) throw e;
      });
      const report = await run(store);
      expect(report.skipped).toEqual([]);
      expect((await linesUnder(store, keys.partitionPrefix(closed))).sort(), `crash at call ${crashAt}`).toEqual(
        before.sort(),
      );
      expect(await keysUnder(store, keys.partitionPrefix(closed))).toHaveLength(1);
      expect(await keysUnder(store, keys.compactionPrefix())).toEqual([]);
    }
  }, 120_000);

  it('survives being killed again while it recovers (random crash points, several partitions)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 2, maxLength: 5 }),
        fc.array(fc.integer({ min: 0, max: 40 }), { minLength: 1, maxLength: 3 }),
        async (counts, crashes) => {
          const store = await freshStore();
          const other = partitionOf('team-a', 'dep-2', Date.parse('2025-12-01T22:00:00Z'));
          const before = [...(await seed(store, closed, counts, 'x')), ...(await seed(store, other, counts, 'y'))];
          for (const crashAt of crashes) {
            await run(crashing(store, crashAt)).catch((e) => {
              if (!(e instanceof Crash)) throw e;
            });
          }
          await run(store);
          const after = await linesUnder(store, keys.shippedPrefix('team-a'));
          expect(after.sort()).toEqual(before.sort());
          expect(await keysUnder(store, keys.compactionPrefix())).toEqual([]);
        },
      ),
      { numRuns: 12 },
    );
  }, 180_000);
});
