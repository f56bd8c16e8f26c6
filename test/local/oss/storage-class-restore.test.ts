import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OssEventPayload, RunningOssServer } from '../../../local/oss';
import { type AliOss, aliClient, BUCKET, bytes, failure, signedFetch, startTestServer, xmlField } from './helpers';

const DELAY_MS = 300;
const DAY_MS = 1500;

describe.each([
  { name: 'V1', v4: false },
  { name: 'V4', v4: true },
])('storage classes and restore with ali-oss, $name', ({ v4 }) => {
  let server: RunningOssServer;
  let client: AliOss;
  const events: OssEventPayload[] = [];
  const dir = v4 ? 'v4/' : 'v1/';

  beforeAll(async () => {
    server = await startTestServer({ restoreDelayMs: DELAY_MS, restoreDayMs: DAY_MS });
    client = aliClient(server, { v4 });
    server.notifications.subscribe({ bucket: BUCKET, events: ['oss:ObjectRestore:*'] }, async (p) => {
      events.push(p);
    });
  });
  afterAll(() => server.close());

  it('stores the class PUT, copy and multipart ask for, and reports it in HEAD and both listings', async () => {
    await client.put(`${dir}ia.bin`, Buffer.from('ia'), { headers: { 'x-oss-storage-class': 'IA' } });
    await client.put(`${dir}standard.bin`, Buffer.from('std'));
    await client.copy(`${dir}copied-archive.bin`, `${dir}standard.bin`, {
      headers: { 'x-oss-storage-class': 'Archive' },
    });
    const upload = await client.initMultipartUpload(`${dir}multi-cold.bin`, {
      headers: { 'x-oss-storage-class': 'ColdArchive' },
    });
    const part = await client.uploadPart(`${dir}multi-cold.bin`, upload.uploadId, 1, bytes(1000), 0, 1000);
    await client.completeMultipartUpload(`${dir}multi-cold.bin`, upload.uploadId, [{ number: 1, etag: part.etag }]);
    await client.put(`${dir}deep.bin`, Buffer.from('deep'), { headers: { 'x-oss-storage-class': 'DeepColdArchive' } });

    const expected: Record<string, string> = {
      'copied-archive.bin': 'Archive',
      'deep.bin': 'DeepColdArchive',
      'ia.bin': 'IA',
      'multi-cold.bin': 'ColdArchive',
      'standard.bin': 'Standard',
    };
    for (const [name, storageClass] of Object.entries(expected)) {
      const head = await client.head(`${dir}${name}`);
      expect((head.res.headers as Record<string, string>)['x-oss-storage-class']).toBe(storageClass);
    }
    const v1 = await client.list({ prefix: dir }, {});
    const v2 = await client.listV2({ prefix: dir }, {});
    for (const listing of [v1, v2]) {
      const classes = Object.fromEntries(
        listing.objects.map((o: { name: string; storageClass: string }) => [o.name.slice(dir.length), o.storageClass]),
      );
      expect(classes).toEqual(expected);
    }
    expect(
      await failure(client.put(`${dir}bad.bin`, Buffer.from('x'), { headers: { 'x-oss-storage-class': 'Glacier' } })),
    ).toMatchObject({
      status: 400,
      code: 'InvalidArgument',
    });
  });

  it('refuses to read a cold object until it is restored, then serves it until the restore expires', async () => {
    const key = `${dir}archive.bin`;
    const body = Buffer.from('frozen bytes');
    await client.put(key, body, { headers: { 'x-oss-storage-class': 'Archive' } });

    expect(await failure(client.get(key))).toMatchObject({ status: 403, code: 'InvalidObjectState' });
    expect(await failure(client.copy(`${dir}thawed-copy.bin`, key))).toMatchObject({
      status: 403,
      code: 'InvalidObjectState',
    });
    const frozen = await client.head(key);
    expect((frozen.res.headers as Record<string, string>)['x-oss-restore']).toBeUndefined();

    const started = await client.restore(key, { type: 'Archive', Days: 1 });
    expect(started.res.status).toBe(202);
    expect(await failure(client.restore(key, { type: 'Archive' }))).toMatchObject({
      status: 409,
      code: 'RestoreAlreadyInProgress',
    });
    const ongoing = await client.head(key);
    expect((ongoing.res.headers as Record<string, string>)['x-oss-restore']).toBe('ongoing-request="true"');
    const listedOngoing = await client.listV2({ prefix: key }, {});
    expect(listedOngoing.objects[0].restoreInfo).toEqual({ ongoingRequest: true });
    expect(await failure(client.get(key))).toMatchObject({ status: 403, code: 'InvalidObjectState' });

    await sleep(DELAY_MS + 100);
    const done = await client.head(key);
    const header = (done.res.headers as Record<string, string>)['x-oss-restore'];
    expect(header).toMatch(
      /^ongoing-request="false", expiry-date="[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT"$/,
    );
    const expiry = Date.parse(/expiry-date="([^"]+)"/.exec(header ?? '')![1]!);
    expect(expiry).toBeGreaterThan(Date.now());
    expect(expiry).toBeLessThanOrEqual(Date.now() + DAY_MS);
    const listedDone = await client.list({ prefix: key }, {});
    expect(listedDone.objects[0].restoreInfo.ongoingRequest).toBe(false);
    expect(Buffer.from((await client.get(key)).content).equals(body)).toBe(true);
    const copied = await client.copy(`${dir}thawed-copy.bin`, key, { headers: { 'x-oss-storage-class': 'Standard' } });
    expect(copied.res.status).toBe(200);
    // Restoring a restored object extends it: 200, not 202 (ali-oss only accepts 202, as against OSS).
    const again = await signedFetch(server, 'POST', key, {
      query: [['restore', '']],
      body: '<RestoreRequest><Days>1</Days></RestoreRequest>',
    });
    expect(again.status).toBe(200);

    await sleep(DAY_MS + 200);
    expect(await failure(client.get(key))).toMatchObject({ status: 403, code: 'InvalidObjectState' });
    expect((await client.head(key)).res.headers['x-oss-restore']).toBeUndefined();
  });

  it('takes the tier of a Cold Archive restore, refuses Standard objects and announces FinishRestore', async () => {
    const key = `${dir}cold.bin`;
    await client.put(key, Buffer.from('cold'), { headers: { 'x-oss-storage-class': 'ColdArchive' } });
    expect(await failure(client.restore(`${dir}standard.bin`, { type: 'Archive' }))).toMatchObject({
      status: 400,
      code: 'OperationNotSupported',
    });
    expect(await failure(client.restore(`${dir}missing.bin`))).toMatchObject({ status: 404, code: 'NoSuchKey' });
    const badTier = await signedFetch(server, 'POST', key, {
      query: [['restore', '']],
      body: '<RestoreRequest><Days>1</Days><JobParameters><Tier>Glacial</Tier></JobParameters></RestoreRequest>',
    });
    expect(badTier.status).toBe(400);
    expect(xmlField(await badTier.text(), 'Code')).toBe('InvalidArgument');

    const before = events.length;
    const res = await client.restore(key, { type: 'ColdArchive', JobParameters: 'Expedited', Days: 2 });
    expect(res.res.status).toBe(202);
    await sleep(DELAY_MS + 100);
    await server.notifications.idle();
    const mine = events.slice(before).map((p) => p.events[0]!);
    expect(mine).toHaveLength(1);
    expect(mine[0]).toMatchObject({
      eventName: 'ObjectRestore:FinishRestore',
      oss: { object: { key, size: 4, deltaSize: 0 } },
    });
    expect(Buffer.from((await client.get(key)).content).toString()).toBe('cold');
  });
});

describe('restore on disk', () => {
  it('keeps a restore across a restart', async () => {
    const { mkdtemp, rm } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const dataDir = await mkdtemp(join(tmpdir(), 'oss-restore-'));
    try {
      let server = await startTestServer({ dataDir, restoreDelayMs: 0 });
      let client = aliClient(server);
      await client.put('a.bin', Buffer.from('a'), { headers: { 'x-oss-storage-class': 'Archive' } });
      expect((await client.restore('a.bin')).res.status).toBe(202);
      await server.close();
      server = await startTestServer({ dataDir, restoreDelayMs: 0 });
      client = aliClient(server);
      expect((await client.head('a.bin')).res.headers['x-oss-restore']).toMatch(/^ongoing-request="false"/);
      expect(Buffer.from((await client.get('a.bin')).content).toString()).toBe('a');
      await server.close();
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
