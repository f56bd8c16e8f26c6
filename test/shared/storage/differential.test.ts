import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningOssServer, startOssServer } from '../../../local/oss';
import { loadConfig } from '../../../shared/config';
import { AliOssStore, type ListOptions, type ObjectStore } from '../../../shared/storage';
import { MemoryStore } from '../../../shared/storage/memory-store';

/**
 * The same random listings asked of the in-memory store and of the ali-oss adapter over the local OSS
 * server, holding the same keys: the answers must be identical, page by page.
 */

const root = { accessKeyId: 'diff-key', accessKeySecret: 'diff-secret' };
// Characters whose order differs between UTF-16 and UTF-8, delimiters, and ones encoding gets wrong.
const alphabet = ['a', 'b', 'Z', '0', '/', '-', '.', ' ', '+', '中', 'é', '\uff61', '\u{1f600}'];
const segment = fc.array(fc.constantFrom(...alphabet), { minLength: 1, maxLength: 4 }).map((cs) => cs.join(''));
const keyArb = fc.array(segment, { minLength: 1, maxLength: 3 }).map((parts) => parts.join(''));

let server: RunningOssServer;
let adapter: ObjectStore;
const memory = new MemoryStore();
let keys: string[];

beforeAll(async () => {
  server = await startOssServer({ port: 0, accessKeys: [root], buckets: ['diff'] });
  const config = loadConfig({
    OSS_BUCKET: 'diff',
    OSS_REGION: 'cn-hangzhou',
    OSS_ENDPOINT: `http://localhost:${server.port}`,
    OSS_PATH_STYLE: 'true',
  });
  adapter = new AliOssStore({ config: config.oss, credentials: () => root });
  // HTTP clients resolve "." and ".." path segments away, so such keys cannot be written through a URL path.
  keys = [...new Set(fc.sample(keyArb, { numRuns: 80, seed: 42 }))].filter(
    (k) => !k.startsWith('/') && !k.split('/').some((part) => part === '.' || part === '..'),
  );
  for (const key of keys) {
    await adapter.put(key, key);
    await memory.put(key, key);
  }
});
afterAll(async () => {
  await server?.close();
});

async function pages(store: ObjectStore, options: ListOptions) {
  const out = [];
  for await (const page of store.list(options))
    out.push({ keys: page.objects.map((o) => [o.key, o.size, o.etag]), prefixes: page.prefixes });
  return out;
}

describe('MemoryStore and AliOssStore list alike', () => {
  it('holds the same keys', async () => {
    expect(await pages(memory, {})).toEqual(await pages(adapter, {}));
    expect(keys.length).toBeGreaterThan(40);
  });

  it('answers every listing with the same pages', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record(
          {
            prefix: fc.oneof(
              segment,
              fc.constantFrom(...keys).map((k) => Array.from(k).slice(0, 2).join('')),
            ),
            delimiter: fc.constantFrom('/', '-', '中'),
            startAfter: fc.oneof(keyArb, fc.constantFrom(...keys)),
            pageSize: fc.integer({ min: 1, max: 7 }),
          },
          { requiredKeys: ['pageSize'] },
        ),
        async (options) => {
          expect(await pages(memory, options)).toEqual(await pages(adapter, options));
        },
      ),
      { numRuns: 60, seed: 7 },
    );
  });
});
