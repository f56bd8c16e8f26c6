/** Intake and compaction logic on the in-memory store: failures surface, nothing is half-acknowledged. */
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { compactLogs } from '../../../shared/logs/compaction';
import { LogIntakeError } from '../../../shared/logs/errors';
import { shipBatch } from '../../../shared/logs/intake';
import { LogKeys } from '../../../shared/logs/keys';
import { queryLogs } from '../../../shared/logs/read';
import { StorageError } from '../../../shared/storage/errors';
import { MemoryStore } from '../../../shared/storage/memory-store';
import { fluentBitJson, fluentBitJsonLines } from './payloads';

const keys = new LogKeys('');
const labels = { namespace: 'team-a', deployment: 'dep-1' };
const ship = (store: MemoryStore, body: string, extra: Partial<Parameters<typeof shipBatch>[0]> = {}) =>
  shipBatch(
    { labels, body: Buffer.from(body), partial: false, receivedAt: new Date('2025-12-01T23:30:00Z'), ...extra },
    { store, keys, maxBatchBytes: 1 << 20 },
  );

async function lines(store: MemoryStore): Promise<string[]> {
  const out: string[] = [];
  for await (const page of store.list({ prefix: keys.shippedPrefix() }))
    for (const o of page.objects.filter((x) => x.key.endsWith('.ndjson.gz')))
      out.push(
        ...gunzipSync((await store.getBuffer(o.key))!)
          .toString('utf8')
          .split('\n')
          .filter(Boolean),
      );
  return out;
}

describe('shipBatch on the in-memory store', () => {
  it('reports an OSS failure to the caller (nothing acknowledged) and stores the batch once when resent', async () => {
    const store = new MemoryStore();
    store.failNext('PutObject');
    await expect(ship(store, fluentBitJsonLines(10))).rejects.toBeInstanceOf(StorageError);
    expect(await lines(store)).toEqual([]);
    expect((await ship(store, fluentBitJsonLines(10))).duplicate).toBe(false);
    expect((await ship(store, fluentBitJsonLines(10))).duplicate).toBe(true);
    expect(await lines(store)).toHaveLength(10);
  });

  it('fails a batch spanning two hours when one of its objects cannot be written; the resend completes it', async () => {
    const store = new MemoryStore();
    const body = fluentBitJson(4, 1_764_633_600 - 0.002); // two records each side of 00:00
    store.failNext('PutObject');
    await expect(ship(store, body)).rejects.toBeInstanceOf(StorageError);
    const retry = await ship(store, body);
    expect(retry.objects.map((o) => o.existed).sort()).toEqual([false, true]);
    expect(await lines(store)).toHaveLength(4);
  });

  it('answers 409 when a key is reused for another batch, leaving the first batch as it was', async () => {
    const store = new MemoryStore();
    await ship(store, 'first\n', { idempotencyKey: 'k1' });
    const error = await ship(store, 'second\n', { idempotencyKey: 'k1' }).catch((e) => e);
    expect(error).toBeInstanceOf(LogIntakeError);
    expect(error.status).toBe(409);
    expect((await lines(store)).map((l) => JSON.parse(l).message)).toEqual(['first']);
  });
});

describe('compactLogs on the in-memory store', () => {
  it('leaves the intent when sources cannot be deleted, and the next run finishes without doubling', async () => {
    const store = new MemoryStore();
    for (let i = 0; i < 5; i++) await ship(store, `line ${i}\n`, { idempotencyKey: `b${i}` });
    const before = (await lines(store)).sort();
    const policy = {
      store,
      keys,
      targetBytes: 1 << 20,
      settleMs: 0,
      lookbackMs: 86_400_000 * 7,
      now: () => Date.parse('2025-12-02T02:00:00Z'),
    };
    store.failNext('DeleteMultipleObjects');
    const first = await compactLogs(policy);
    expect(first.skipped).toEqual([
      { target: expect.stringMatching(/\/m-/), reason: expect.stringMatching(/5 source\(s\) not deleted/) },
    ]);
    // Merged object and sources both present: read naively the records appear twice, not through queryLogs…
    expect((await lines(store)).length).toBe(10);
    const q = { namespace: 'team-a', sinceMs: 0, untilMs: Date.parse('2026-01-01T00:00:00Z') };
    expect((await queryLogs(store, keys, q)).map((r) => r.value.message).sort()).toEqual([
      'line 0',
      'line 1',
      'line 2',
      'line 3',
      'line 4',
    ]);
    const report = await compactLogs(policy);
    // … until the next run, which finishes the merge from its intent.
    expect(report.recovered).toBe(1);
    expect((await lines(store)).sort()).toEqual(before);
    const left: string[] = [];
    for await (const page of store.list({ prefix: keys.compactionPrefix() }))
      left.push(...page.objects.map((o) => o.key));
    expect(left).toEqual([]);
  });
});
