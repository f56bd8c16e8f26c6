import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mintTemporaryCredentials, type RunningOssServer, startOssServer } from '../../../local/oss';
import { type Credentials, loadConfig, type OssConfig } from '../../../shared/config';
import type { RetryHooks, RetryPolicy } from '../../../shared/storage';
import { AliOssStore, type CredentialsProvider, type ObjectStore, StorageError } from '../../../shared/storage';
import { OssHttpStore } from '../../../shared/storage/oss-http-store';
import { describeStoreContract } from './contract';

const require = createRequire(import.meta.url);
const OSS = require('ali-oss') as new (
  o: object,
) => { restore(name: string, options?: { type?: string }): Promise<unknown> };

/** Both adapters of the port to OSS: the ali-oss SDK, and the lean client the functions use. */
const ADAPTERS = {
  AliOssStore: (o: {
    config: OssConfig;
    credentials: CredentialsProvider;
    retry: RetryPolicy;
    retryHooks?: RetryHooks;
  }) => new AliOssStore(o),
  OssHttpStore: (o: {
    config: OssConfig;
    credentials: CredentialsProvider;
    retry: RetryPolicy;
    retryHooks?: RetryHooks;
  }) => new OssHttpStore(o),
} as const;
type AdapterName = keyof typeof ADAPTERS;

const root = { accessKeyId: 'store-test-key', accessKeySecret: 'store-test-secret' };
let server: RunningOssServer;

beforeAll(async () => {
  // Restores finish after 20 ms here, instead of minutes to hours on OSS.
  server = await startOssServer({ port: 0, accessKeys: [root], buckets: ['store-test'], restoreDelayMs: 20 });
});
afterAll(async () => {
  await server?.close();
});

function store(
  adapter: AdapterName,
  options: { version?: 'v1' | 'v4'; credentials?: () => Credentials; retries?: number[] } = {},
): ObjectStore {
  const config = loadConfig({
    OSS_BUCKET: 'store-test',
    OSS_REGION: 'cn-hangzhou',
    OSS_ENDPOINT: `http://localhost:${server.port}`,
    OSS_PATH_STYLE: 'true',
    OSS_SIGNATURE_VERSION: options.version ?? 'v4',
  });
  return ADAPTERS[adapter]({
    config: config.oss,
    credentials: options.credentials ?? (() => root),
    retry: { attempts: 4, baseDelayMs: 5, maxDelayMs: 20 },
    ...(options.retries && { retryHooks: { onRetry: ({ delayMs }) => options.retries!.push(delayMs) } }),
  });
}

async function readAll(body: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of body) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** RestoreObject through the ali-oss client (the port has no restore), then wait until OSS says it is done. */
async function restoreArchived(s: ObjectStore, key: string): Promise<void> {
  const info = await s.head(key);
  const client = new OSS({
    endpoint: `http://localhost:${server.port}`,
    region: 'oss-cn-hangzhou',
    bucket: 'store-test',
    accessKeyId: root.accessKeyId,
    accessKeySecret: root.accessKeySecret,
    sldEnable: true,
  });
  await client.restore(key, { type: info!.storageClass });
  for (let i = 0; i < 200; i++) {
    const restore = (await s.head(key))?.restore;
    if (restore && !restore.ongoing) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`the restore of ${key} did not finish`);
}

for (const adapter of Object.keys(ADAPTERS) as AdapterName[]) {
  describeStoreContract(`${adapter} over the local OSS server`, () => store(adapter), {
    archive: { restore: restoreArchived },
  });
}

// Listing pages and deleteMany batches are the contract's; these cases check both signature versions.

const CASES = (Object.keys(ADAPTERS) as AdapterName[]).flatMap((adapter) =>
  (['v4', 'v1'] as const).map((version) => [adapter, version] as const),
);

describe.each(CASES)('%s against the local OSS server (%s signatures)', (adapter, version) => {
  const s = () => store(adapter, { version });
  const prefix = `${adapter}/${version}/`;

  it('puts with options and reads back info, whole bodies and ranges', async () => {
    const bytes = randomBytes(5000);
    const key = `${prefix}dir/a b+中文.jar`;
    const put = await s().put(key, bytes, {
      contentType: 'application/java-archive',
      meta: { Origin: 'test' },
      encryption: { algorithm: 'AES256' },
    });
    expect(put.etag).toMatch(/^[0-9A-F]{32}$/);
    const info = await s().head(key);
    expect(info).toMatchObject({
      key,
      size: 5000,
      etag: put.etag,
      contentType: 'application/java-archive',
      meta: { origin: 'test' },
      objectType: 'Normal',
    });
    expect(info?.crc64).toMatch(/^\d+$/);
    expect(Buffer.compare((await s().getBuffer(key))!, bytes)).toBe(0);
    const ranged = await s().get(key, { range: { start: 100, end: 199 } });
    expect(ranged?.info.size).toBe(5000);
    expect(Buffer.compare(await readAll(ranged!.body), bytes.subarray(100, 200))).toBe(0);
    expect(await s().head(`${prefix}missing`)).toBeUndefined();
    expect(await s().getBuffer(`${prefix}missing`)).toBeUndefined();
  });

  it('streams a put and refuses to overwrite when asked not to', async () => {
    const key = `${prefix}streamed.bin`;
    await s().put(key, Readable.from([Buffer.from('a'), Buffer.from('b')]));
    expect((await s().getBuffer(key))!.toString()).toBe('ab');
    await expect(s().put(key, 'again', { forbidOverwrite: true })).rejects.toMatchObject({
      code: 'OSS_ALREADY_EXISTS',
      details: { ossCode: 'FileAlreadyExists', status: 409 },
    });
  });

  it('runs a multipart upload: initiate, parts, list, complete; and abort', async () => {
    const key = `${prefix}multi.bin`;
    const part1 = randomBytes(100 * 1024);
    const part2 = randomBytes(10);
    const id = await s().multipart.initiate(key, { contentType: 'application/octet-stream' });
    const e1 = await s().multipart.uploadPart(key, id, 1, part1);
    const e2 = await s().multipart.uploadPart(key, id, 2, part2);
    const parts = await s().multipart.listParts(key, id);
    expect(parts.map((p) => [p.partNumber, p.size, p.etag])).toEqual([
      [1, part1.length, e1.etag],
      [2, 10, e2.etag],
    ]);
    const uploads: string[] = [];
    for await (const page of s().multipart.listUploads(prefix)) uploads.push(...page.map((u) => u.uploadId));
    expect(uploads).toContain(id);
    const done = await s().multipart.complete(key, id, [
      { partNumber: 1, etag: e1.etag },
      { partNumber: 2, etag: e2.etag },
    ]);
    expect(done.etag).toMatch(/-2$/);
    expect(Buffer.compare((await s().getBuffer(key))!, Buffer.concat([part1, part2]))).toBe(0);

    const other = await s().multipart.initiate(`${prefix}aborted.bin`);
    await s().multipart.abort(`${prefix}aborted.bin`, other);
    await s().multipart.abort(`${prefix}aborted.bin`, other); // a retried abort finds nothing: still fine
    await expect(s().multipart.listParts(`${prefix}aborted.bin`, other)).rejects.toMatchObject({
      code: 'OSS_NOT_FOUND',
    });
  });

  it('copies within the bucket', async () => {
    await s().put(`${prefix}src.txt`, 'copy me');
    await s().copy(`${prefix}src.txt`, `${prefix}dst.txt`);
    expect((await s().getBuffer(`${prefix}dst.txt`))!.toString()).toBe('copy me');
    await expect(s().copy(`${prefix}src.txt`, `${prefix}dst.txt`, { forbidOverwrite: true })).rejects.toMatchObject({
      code: 'OSS_ALREADY_EXISTS',
    });
  });
});

describe.each(Object.keys(ADAPTERS) as AdapterName[])('%s retries', (adapter) => {
  const r = `${adapter}-retry`;
  afterAll(() => server.faults.clear());

  it('retries throttling and 5xx on idempotent operations, then succeeds', async () => {
    await store(adapter).put(`${r}/a`, 'x');
    const delays: number[] = [];
    server.faults.set('HeadObject', { slowDown: 1, times: 2 });
    expect(await store(adapter, { retries: delays }).head(`${r}/a`)).toMatchObject({ size: 1 });
    expect(delays).toHaveLength(2);
    server.faults.set('GetObject', { internalError: 1, times: 1 });
    expect((await store(adapter).getBuffer(`${r}/a`))!.toString()).toBe('x');
  });

  it('retries reset connections', async () => {
    server.faults.set('ListObjectsV2', { reset: 1, times: 1 });
    const pages = [];
    for await (const page of store(adapter).list({ prefix: `${r}/` })) pages.push(page);
    expect(pages[0]!.objects.map((o) => o.key)).toEqual([`${r}/a`]);
  });

  it('gives up after the last attempt with a clear error', async () => {
    server.faults.set('HeadObject', { slowDown: 1, times: 10 });
    const err = await store(adapter)
      .head(`${r}/a`)
      .catch((e: unknown) => e);
    server.faults.clear();
    expect(err).toBeInstanceOf(StorageError);
    expect(err).toMatchObject({
      code: 'OSS_THROTTLED',
      message: expect.stringMatching(new RegExp(`^HeadObject "${r}/a" failed: OSS answered 503 SlowDown`)),
    });
  });

  it('does not retry initiating a multipart upload', async () => {
    server.faults.set('InitiateMultipartUpload', { internalError: 1, times: 1 });
    await expect(store(adapter).multipart.initiate(`${r}/m`)).rejects.toMatchObject({ code: 'OSS_UNAVAILABLE' });
    expect(await store(adapter).multipart.initiate(`${r}/m`)).toBeTruthy();
  });
});

describe.each(Object.keys(ADAPTERS) as AdapterName[])('%s credentials', (adapter) => {
  const k = `${adapter}-sts`;
  it('works with STS keys and picks up rotated keys', async () => {
    let current = mintTemporaryCredentials(root, 3600);
    const s = store(adapter, {
      credentials: () => ({
        accessKeyId: current.accessKeyId,
        accessKeySecret: current.accessKeySecret,
        securityToken: current.securityToken,
      }),
    });
    await s.put(`${k}/a`, 'one');
    current = mintTemporaryCredentials(root, 3600, new Date(Date.now() + 1000));
    expect((await s.getBuffer(`${k}/a`))!.toString()).toBe('one');
  });

  it('fails without retrying on bad credentials, saying access was denied', async () => {
    const s = store(adapter, { credentials: () => ({ accessKeyId: root.accessKeyId, accessKeySecret: 'wrong' }) });
    await expect(s.head(`${k}/a`)).rejects.toMatchObject({ code: 'OSS_ACCESS_DENIED' });
  });
});
