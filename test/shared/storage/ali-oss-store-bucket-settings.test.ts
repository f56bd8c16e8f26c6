import OSS from 'ali-oss';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningOssServer, startOssServer } from '../../../local/oss';
import { loadConfig } from '../../../shared/config';
import { AliOssStore } from '../../../shared/storage';

const root = { accessKeyId: 'settings-key', accessKeySecret: 'settings-secret' };
let server: RunningOssServer;

beforeAll(async () => {
  server = await startOssServer({ port: 0, accessKeys: [root], buckets: ['settings-a', 'settings-b'] });
});
afterAll(async () => {
  await server?.close();
});

function store(bucket: string): AliOssStore {
  const config = loadConfig({
    OSS_BUCKET: bucket,
    OSS_REGION: 'cn-hangzhou',
    OSS_ENDPOINT: `http://localhost:${server.port}`,
    OSS_PATH_STYLE: 'true',
  });
  return new AliOssStore({ config: config.oss, credentials: () => root });
}

describe('AliOssStore bucket settings over the local OSS server', () => {
  it('answers undefined and [] for a bucket that never had versioning or lifecycle rules', async () => {
    expect(await store('settings-a').getVersioning()).toBeUndefined();
    expect(await store('settings-a').getLifecycle()).toEqual([]);
  });

  it('reads versioning and lifecycle rules written with the ali-oss client, numbers as numbers', async () => {
    const client = new OSS({
      ...root,
      bucket: 'settings-b',
      region: 'oss-cn-hangzhou',
      endpoint: `http://localhost:${server.port}`,
      sldEnable: true,
    } as never) as unknown as {
      putBucketVersioning(b: string, s: string): Promise<unknown>;
      putBucketLifecycle(b: string, rules: object[]): Promise<unknown>;
    };
    await client.putBucketVersioning('settings-b', 'Enabled');
    await client.putBucketLifecycle('settings-b', [
      { id: 'jobs', prefix: 'flink-jobs/', status: 'Enabled', expiration: { days: 30 } },
      {
        id: 'cold',
        prefix: 'flink-savepoints/',
        status: 'Disabled',
        transition: { days: 60, storageClass: 'Archive' },
      },
    ]);
    const s = store('settings-b');
    expect(await s.getVersioning()).toBe('Enabled');
    expect(await s.getLifecycle()).toEqual([
      { id: 'jobs', prefix: 'flink-jobs/', status: 'Enabled', expiration: { days: 30 }, transitions: [] },
      {
        id: 'cold',
        prefix: 'flink-savepoints/',
        status: 'Disabled',
        transitions: [{ days: 60, storageClass: 'Archive' }],
      },
    ]);
  });
});
