import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mintTemporaryCredentials, type RunningOssServer, startOssServer } from '../../../local/oss';
import { type Credentials, loadConfig } from '../../../shared/config';
import { AliOssStore, type ObjectStore, StorageError } from '../../../shared/storage';
import { describeStoreContract } from './contract';

const require = createRequire(import.meta.url);
const OSS = require('ali-oss') as new (
  o: object,
) => { restore(name: string, options?: { type?: string }): Promise<unknown> };

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
  options: { version?: 'v1' | 'v4'; credentials?: () => Credentials; retries?: number[] } = {},
): AliOssStore {
  const config = loadConfig({
    OSS_BUCKET: 'store-test',
    OSS_REGION: 'cn-hangzhou',
    OSS_ENDPOINT: `http://localhost:${server.port}`,
    OSS_PATH_STYLE: 'true',
    OSS_SIGNATURE_VERSION: options.version ?? 'v4',
  });
  return new AliOssStore({
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

describeStoreContract('AliOssStore over the local OSS server', () => store(), {
  archive: { restore: restoreArchived },
});

// Listing pages and deleteMany batches are the contract's; these cases check both signature versions.

describe.each(['v4', 'v1'] as const)('AliOssStore against the local OSS server (%s signatures)', (version) => {
  const s = () => store({ version });
  const prefix = `${version}/`;

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

describe('AliOssStore retries', () => {
  afterAll(() => server.faults.clear());

  it('retries throttling and 5xx on idempotent operations, then succeeds', async () => {
    await store().put('retry/a', 'x');
    const delays: number[] = [];
    server.faults.set('HeadObject', { slowDown: 1, times: 2 });
    expect(await store({ retries: delays }).head('retry/a')).toMatchObject({ size: 1 });
    expect(delays).toHaveLength(2);
    server.faults.set('GetObject', { internalError: 1, times: 1 });
    expect((await store().getBuffer('retry/a'))!.toString()).toBe('x');
  });

  it('retries reset connections', async () => {
    server.faults.set('ListObjectsV2', { reset: 1, times: 1 });
    const pages = [];
    for await (const page of store().list({ prefix: 'retry/' })) pages.push(page);
    expect(pages[0]!.objects.map((o) => o.key)).toEqual(['retry/a']);
  });

  it('gives up after the last attempt with a clear error', async () => {
    server.faults.set('HeadObject', { slowDown: 1, times: 10 });
    const err = await store()
      .head('retry/a')
      .catch((e: unknown) => e);
    server.faults.clear();
    expect(err).toBeInstanceOf(StorageError);
    expect(err).toMatchObject({
      code: 'OSS_THROTTLED',
      message: expect.stringMatching(/^HeadObject "retry\/a" failed: OSS answered 503 SlowDown/),
    });
  });

  it('does not retry initiating a multipart upload', async () => {
    server.faults.set('InitiateMultipartUpload', { internalError: 1, times: 1 });
    await expect(store().multipart.initiate('retry/m')).rejects.toMatchObject({ code: 'OSS_UNAVAILABLE' });
    expect(await store().multipart.initiate('retry/m')).toBeTruthy();
  });
});

describe('AliOssStore credentials', () => {
  it('works with STS keys and picks up rotated keys', async () => {
    let current = mintTemporaryCredentials(root, 3600);
    const s = store({
      credentials: () => ({
        accessKeyId: current.accessKeyId,
        accessKeySecret: current.accessKeySecret,
        securityToken: current.securityToken,
      }),
    });
    await s.put('sts/a', 'one');
    current = mintTemporaryCredentials(root, 3600, new Date(Date.now() + 1000));
    expect((await s.getBuffer('sts/a'))!.toString()).toBe('one');
  });

  it('fails without retrying on bad credentials, saying access was denied', async () => {
    const s = store({ credentials: () => ({ accessKeyId: root.accessKeyId, accessKeySecret: 'wrong' }) });
    await expect(s.head('sts/a')).rejects.toMatchObject({ code: 'OSS_ACCESS_DENIED' });
  });
});
