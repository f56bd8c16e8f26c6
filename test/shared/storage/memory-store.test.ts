import { describe, expect, it } from 'vitest';
import { StorageError } from '../../../shared/storage';
import { MemoryStore } from '../../../shared/storage/memory-store';
import { describeStoreContract } from './contract';

const DAY = 86_400_000;

describeStoreContract('MemoryStore', () => new MemoryStore(), {
  archive: {
    restore: async (store, key) =>
      (store as MemoryStore).setRestoreState(key, { ongoing: false, expiresAt: new Date(Date.now() + DAY) }),
  },
});

describe('MemoryStore options', () => {
  it('names its bucket', () => {
    expect(new MemoryStore().bucket).toBe('memory-bucket');
    expect(new MemoryStore({ bucket: 'flink-state' }).bucket).toBe('flink-state');
  });

  it('stamps writes with its clock, to the second, so tests can write in the past', async () => {
    let now = new Date('2026-01-02T03:04:05.678Z');
    const store = new MemoryStore({ now: () => now });
    await store.put('old', 'x');
    now = new Date('2026-03-01T00:00:00.000Z');
    await store.copy('old', 'copied');
    const id = await store.multipart.initiate('mp');
    const { etag } = await store.multipart.uploadPart('mp', id, 1, Buffer.from('p'));
    now = new Date('2026-03-02T00:00:00.000Z');
    await store.multipart.complete('mp', id, [{ partNumber: 1, etag }]);

    expect((await store.head('old'))?.lastModified).toEqual(new Date('2026-01-02T03:04:05.000Z'));
    expect((await store.head('copied'))?.lastModified).toEqual(new Date('2026-03-01T00:00:00.000Z'));
    expect((await store.head('mp'))?.lastModified).toEqual(new Date('2026-03-02T00:00:00.000Z'));
    const listed = [];
    for await (const page of store.list()) listed.push(...page.objects.map((o) => o.lastModified.toISOString()));
    expect(listed).toEqual(['2026-03-01T00:00:00.000Z', '2026-03-02T00:00:00.000Z', '2026-01-02T03:04:05.000Z']);
  });

  it('keeps an archived object unreadable while its restore runs and after the restored copy expires', async () => {
    let now = new Date('2026-01-01T00:00:00Z');
    const store = new MemoryStore({ now: () => now });
    await store.put('a', 'x', { storageClass: 'DeepColdArchive' });
    store.setRestoreState('a', { ongoing: true });
    expect((await store.head('a'))?.restore).toEqual({ ongoing: true });
    await expect(store.getBuffer('a')).rejects.toMatchObject({ code: 'OSS_OBJECT_ARCHIVED' });
    store.setRestoreState('a', { ongoing: false, expiresAt: new Date('2026-01-02T00:00:00Z') });
    expect((await store.getBuffer('a'))?.toString()).toBe('x');
    now = new Date('2026-01-03T00:00:00Z');
    await expect(store.getBuffer('a')).rejects.toMatchObject({ code: 'OSS_OBJECT_ARCHIVED' });
    await expect(store.copy('a', 'b')).rejects.toMatchObject({ code: 'OSS_OBJECT_ARCHIVED' });
    expect(() => store.setRestoreState('missing', { ongoing: true })).toThrow(StorageError);
  });
});

describe('MemoryStore injected failures', () => {
  it('fails the next N calls of one operation with OSS_THROTTLED by default, then works again', async () => {
    const store = new MemoryStore();
    await store.put('k', 'v');
    store.failNext('GetObject', 2);
    for (let i = 0; i < 2; i++)
      await expect(store.getBuffer('k')).rejects.toMatchObject({
        code: 'OSS_THROTTLED',
        retryable: true,
        details: { operation: 'GetObject', status: 503, ossCode: 'ServiceUnavailable' },
      });
    expect((await store.head('k'))?.size).toBe(1);
    expect((await store.getBuffer('k'))?.toString()).toBe('v');
  });

  it('fails with the error given, and a failed write changes nothing', async () => {
    const store = new MemoryStore();
    store.failNext(
      'PutObject',
      1,
      (operation) => new StorageError('OSS_ACCESS_DENIED', 'denied', { operation, status: 403 }),
    );
    await expect(store.put('k', 'v')).rejects.toMatchObject({ code: 'OSS_ACCESS_DENIED', message: 'denied' });
    expect(await store.head('k')).toBeUndefined();
  });

  it('fails one deleteMany batch per injected failure and reports its keys as failed', async () => {
    const store = new MemoryStore();
    const keys = Array.from({ length: 1500 }, (_, i) => `k/${String(i).padStart(4, '0')}`);
    for (const k of keys) await store.put(k, 'x');
    store.failNext('DeleteMultipleObjects');
    const result = await store.deleteMany(keys);
    expect(result.failed.map((f) => f.key)).toEqual(keys.slice(0, 1000));
    expect(result.failed[0]).toMatchObject({ code: 'OSS_THROTTLED', message: expect.stringContaining('503') });
    expect(result.deleted).toEqual(keys.slice(1000));
    let left = 0;
    for await (const page of store.list({ prefix: 'k/' })) left += page.objects.length;
    expect(left).toBe(1000);
  });

  it('fails a listing between pages', async () => {
    const store = new MemoryStore();
    for (let i = 0; i < 5; i++) await store.put(`k${i}`, 'x');
    const seen: string[] = [];
    const pages = store.list({ pageSize: 2 })[Symbol.asyncIterator]();
    seen.push(...((await pages.next()).value?.objects.map((o: { key: string }) => o.key) ?? []));
    store.failNext('ListObjectsV2');
    await expect(pages.next()).rejects.toMatchObject({ code: 'OSS_THROTTLED' });
    expect(seen).toEqual(['k0', 'k1']);
  });
});
