import { describe, expect, it } from 'vitest';
import { heldArtifactReader, readFirst, WHOLE_READ_MAX_BYTES } from '../../../shared/catalog/store-source';
import type { ObjectStore } from '../../../shared/storage';
import { MemoryStore } from '../../../shared/storage/memory-store';

const KEY = 'artifacts/namespaces/team-a/job.jar';

/** A memory store that records each request it answers, as `<method> <range>`. */
function countingStore(): { store: ObjectStore; calls: string[] } {
  const inner = new MemoryStore({ bucket: 'flink-ws' });
  const calls: string[] = [];
  const store = Object.create(inner) as ObjectStore;
  store.head = (key) => {
    calls.push('head');
    return inner.head(key);
  };
  store.get = (key, options) => {
    calls.push(options?.range ? `get ${options.range.start}-${options.range.end ?? ''}` : 'get');
    return inner.get(key, options);
  };
  store.getBuffer = (key, options) => {
    calls.push('getBuffer');
    return inner.getBuffer(key, options);
  };
  return { store, calls };
}

const bytesOf = (size: number) => Buffer.from(Array.from({ length: size }, (_, i) => (i * 31) % 251));

describe('readFirst', () => {
  it('reads a small artifact whole with one ranged GET, in place of the HEAD', async () => {
    const { store, calls } = countingStore();
    const body = bytesOf(5000);
    const { etag } = await store.put(KEY, body);
    const first = await readFirst(store, KEY, 5000);
    expect(first?.info).toMatchObject({ key: KEY, size: 5000, etag });
    expect(Buffer.compare(first!.bytes!, body)).toBe(0);
    expect(calls).toEqual([`get 0-${WHOLE_READ_MAX_BYTES - 1}`]);
  });

  it('takes the HEAD when the hint is missing, zero or above the limit', async () => {
    const { store, calls } = countingStore();
    await store.put(KEY, bytesOf(100));
    for (const hint of [undefined, 0, WHOLE_READ_MAX_BYTES + 1]) {
      calls.length = 0;
      const first = await readFirst(store, KEY, hint);
      expect(first?.info.size).toBe(100);
      expect(first?.bytes).toBeUndefined();
      expect(calls).toEqual(['head']);
    }
  });

  it('reads exactly the limit whole, and an object that grew past it not at all, with no extra request', async () => {
    const { store, calls } = countingStore();
    await store.put(KEY, bytesOf(WHOLE_READ_MAX_BYTES));
    expect((await readFirst(store, KEY, WHOLE_READ_MAX_BYTES))?.bytes?.length).toBe(WHOLE_READ_MAX_BYTES);
    await store.put(KEY, bytesOf(WHOLE_READ_MAX_BYTES + 10));
    calls.length = 0;
    // The event said 10 bytes, but the object was overwritten with a larger one since.
    const grown = await readFirst(store, KEY, 10);
    expect(grown?.info.size).toBe(WHOLE_READ_MAX_BYTES + 10);
    expect(grown?.bytes).toBeUndefined();
    expect(calls).toHaveLength(1);
  });

  it('falls back to the HEAD for an object now empty or archived, whose bytes cannot be read', async () => {
    const { store, calls } = countingStore();
    await store.put(KEY, Buffer.alloc(0));
    const empty = await readFirst(store, KEY, 2048);
    expect(empty).toMatchObject({ info: { size: 0 } });
    expect(empty?.bytes).toBeUndefined();
    expect(calls).toEqual([`get 0-${WHOLE_READ_MAX_BYTES - 1}`, 'head']);

    await store.put(KEY, bytesOf(64), { storageClass: 'Archive' });
    const archived = await readFirst(store, KEY, 64);
    expect(archived).toMatchObject({ info: { size: 64, storageClass: 'Archive' } });
    expect(archived?.bytes).toBeUndefined();
  });

  it('answers undefined for an artifact that is gone, either way', async () => {
    const { store } = countingStore();
    expect(await readFirst(store, KEY, 10)).toBeUndefined();
    expect(await readFirst(store, KEY)).toBeUndefined();
  });
});

describe('heldArtifactReader', () => {
  it('serves random reads and the stream from memory, counting the one read that fetched them', async () => {
    const body = bytesOf(300);
    const reader = heldArtifactReader(body);
    expect(reader.requests).toBe(1);
    expect(Buffer.compare(await reader.source.read(290, 10), body.subarray(290))).toBe(0);
    const chunks: Buffer[] = [];
    for await (const chunk of await reader.openStream()) chunks.push(chunk);
    expect(Buffer.compare(Buffer.concat(chunks), body)).toBe(0);
    expect(reader.requests).toBe(1);
  });
});
