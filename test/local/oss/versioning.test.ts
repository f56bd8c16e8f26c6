import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OssEventPayload, RunningOssServer } from '../../../local/oss';
import { type AliOss, aliClient, failure, signedFetch, startTestServer, xmlField } from './helpers';

const text = (content: unknown) => Buffer.from(content as Buffer).toString();
const header = (res: { headers: unknown }, name: string) => (res.headers as Record<string, string>)[name];

describe.each([
  { name: 'V1', v4: false },
  { name: 'V4', v4: true },
])('bucket versioning with ali-oss, $name', ({ v4 }) => {
  let server: RunningOssServer;
  let client: AliOss;
  const bucket = v4 ? 'versioned-v4' : 'versioned-v1';
  const events: OssEventPayload[] = [];

  beforeAll(async () => {
    server = await startTestServer({ buckets: [bucket] });
    client = aliClient(server, { v4, bucket });
    server.notifications.subscribe({ bucket, events: ['oss:ObjectCreated:*', 'oss:ObjectRemoved:*'] }, async (p) => {
      events.push(p);
    });
  });
  afterAll(() => server.close());

  it('turns versioning on and off, as Get/PutBucketVersioning and GetBucketInfo report', async () => {
    expect((await client.getBucketVersioning(bucket)).versionStatus).toBeUndefined();
    await client.put('before.txt', Buffer.from('written before versioning'));
    expect((await client.putBucketVersioning(bucket, 'Enabled')).status).toBe(200);
    expect((await client.getBucketVersioning(bucket)).versionStatus).toBe('Enabled');
    const info = await client.getBucketInfo(bucket);
    expect(info.bucket.Versioning).toBe('Enabled');
    const bad = await signedFetch(server, 'PUT', '', {
      bucket,
      query: [['versioning', '']],
      body: '<VersioningConfiguration><Status>Off</Status></VersioningConfiguration>',
    });
    expect(bad.status).toBe(400);
    expect(xmlField(await bad.text(), 'Code')).toBe('MalformedXML');
  });

  it('keeps every version, reads each by id, and hides the key behind a delete marker', async () => {
    const v1 = await client.put('doc.txt', Buffer.from('one'));
    // x-oss-forbid-overwrite is ignored with versioning enabled: the old object stays as a version.
    const v2 = await client.put('doc.txt', Buffer.from('two'), { headers: { 'x-oss-forbid-overwrite': 'true' } });
    const id1 = header(v1.res, 'x-oss-version-id');
    const id2 = header(v2.res, 'x-oss-version-id');
    expect(id1).toMatch(/^CAEQ/);
    expect(id2).not.toBe(id1);
    await server.notifications.idle();
    const created = events.flatMap((p) => p.events).filter((e) => e.oss.object.key === 'doc.txt');
    expect(created.map((e) => [e.eventName, e.oss.object.versionId])).toEqual([
      ['ObjectCreated:PutObject', id1],
      ['ObjectCreated:PutObject', id2],
    ]);

    expect(text((await client.get('doc.txt')).content)).toBe('two');
    expect(text((await client.get('doc.txt', undefined, { versionId: id1 })).content)).toBe('one');
    expect(header((await client.head('doc.txt', { versionId: id1 })).res, 'x-oss-version-id')).toBe(id1);
    expect(header((await client.head('before.txt')).res, 'x-oss-version-id')).toBe('null');
    expect(await failure(client.get('doc.txt', undefined, { versionId: 'CAEQnosuchversion' }))).toMatchObject({
      status: 404,
      code: 'NoSuchVersion',
    });

    const removed = await client.delete('doc.txt');
    expect(removed.res.status).toBe(204);
    expect(header(removed.res, 'x-oss-delete-marker')).toBe('true');
    const markerId = header(removed.res, 'x-oss-version-id');
    const gone = await failure(client.get('doc.txt'));
    expect(gone).toMatchObject({ status: 404, code: 'NoSuchKey' });
    expect((await client.list({ prefix: 'doc' }, {})).objects ?? []).toHaveLength(0);
    expect(text((await client.get('doc.txt', undefined, { versionId: id2 })).content)).toBe('two');

    // Copying an old version back makes it current again.
    const restored = await client.copy('doc.txt', 'doc.txt', { versionId: id1 });
    expect(header(restored.res, 'x-oss-copy-source-version-id')).toBe(id1);
    expect(text((await client.get('doc.txt')).content)).toBe('one');

    const listed = await client.getBucketVersions({ prefix: 'doc.txt' });
    expect(
      listed.objects.map((o: { versionId: string; isLatest: boolean }) => [o.versionId === id2, o.isLatest]),
    ).toEqual([
      [false, true],
      [true, false],
      [false, false],
    ]);
    expect(listed.deleteMarker.map((m: { versionId: string }) => m.versionId)).toEqual([markerId]);

    // Removing a version for good: the body goes, an event says which version.
    const purge = await client.delete('doc.txt', { versionId: id2 });
    expect(header(purge.res, 'x-oss-version-id')).toBe(id2);
    await server.notifications.idle();
    const removedEvents = events.flatMap((p) => p.events).filter((e) => e.eventName === 'ObjectRemoved:DeleteObject');
    expect(removedEvents.map((e) => e.oss.object.versionId)).toEqual([id2]);
    expect(await failure(client.get('doc.txt', undefined, { versionId: id2 }))).toMatchObject({
      code: 'NoSuchVersion',
    });
    const markerGet = await signedFetch(server, 'GET', 'doc.txt', { bucket, query: [['versionId', markerId ?? '']] });
    expect(markerGet.status).toBe(405);
    expect(markerGet.headers.get('x-oss-delete-marker')).toBe('true');
  });

  it('pages through versions with key and version-id markers', async () => {
    for (let i = 0; i < 3; i++) await client.put('page/a', Buffer.from(`a${i}`));
    await client.put('page/b', Buffer.from('b'));
    await client.delete('page/b');
    const seen: string[] = [];
    let query: Record<string, string> = { prefix: 'page/', 'max-keys': '2' };
    for (let pages = 0; pages < 10; pages++) {
      const page = await client.getBucketVersions(query);
      for (const o of page.objects ?? []) seen.push(`${o.name}:${o.versionId}`);
      for (const m of page.deleteMarker ?? []) seen.push(`${m.name}:${m.versionId}:marker`);
      if (!page.isTruncated) break;
      query = {
        prefix: 'page/',
        'max-keys': '2',
        keyMarker: page.nextKeyMarker,
        versionIdMarker: page.nextVersionIdMarker,
      };
    }
    const all = await client.getBucketVersions({ prefix: 'page/' });
    expect(seen.sort()).toEqual(
      [
        ...all.objects.map((o: { name: string; versionId: string }) => `${o.name}:${o.versionId}`),
        ...all.deleteMarker.map((m: { name: string; versionId: string }) => `${m.name}:${m.versionId}:marker`),
      ].sort(),
    );
    expect(seen).toHaveLength(5);
    // key-marker alone skips every version of that key.
    const afterA = await client.getBucketVersions({ prefix: 'page/', keyMarker: 'page/a' });
    expect(afterA.objects ?? []).toHaveLength(1);
    expect(afterA.deleteMarker).toHaveLength(1);
    const delimited = await client.getBucketVersions({ delimiter: '/', prefix: '' });
    expect(delimited.prefixes).toContain('page/');
  });

  it('deletes many versions at once and reports delete markers', async () => {
    const a = header((await client.put('multi/a', Buffer.from('a'))).res, 'x-oss-version-id');
    await client.put('multi/b', Buffer.from('b'));
    const result = await client.deleteMulti([{ key: 'multi/a', versionId: a }, 'multi/b'], { quiet: false });
    expect(result.deleted).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ Key: 'multi/a', VersionId: a }),
        expect.objectContaining({ Key: 'multi/b', DeleteMarker: 'true' }),
      ]),
    );
    expect(await failure(client.get('multi/b'))).toMatchObject({ code: 'NoSuchKey' });
    const versions = await client.getBucketVersions({ prefix: 'multi/' });
    expect(versions.objects.map((o: { name: string }) => o.name)).toEqual(['multi/b']);
    expect(await failure(client.deleteBucket(bucket))).toMatchObject({ code: 'BucketNotEmpty' });
  });

  it('writes the null version while suspended, replacing the previous null version', async () => {
    await client.putBucketVersioning(bucket, 'Suspended');
    const first = await client.put('suspended.txt', Buffer.from('first'));
    expect(header(first.res, 'x-oss-version-id')).toBe('null');
    await client.put('suspended.txt', Buffer.from('second'));
    const versions = await client.getBucketVersions({ prefix: 'suspended.txt' });
    expect(versions.objects.map((o: { versionId: string }) => o.versionId)).toEqual(['null']);
    expect(text((await client.get('suspended.txt')).content)).toBe('second');
    await client.putBucketVersioning(bucket, 'Enabled');
  });
});

describe('versioning on disk', () => {
  it('keeps versions and delete markers across a restart', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'oss-versions-'));
    try {
      let server = await startTestServer({ dataDir });
      let client = aliClient(server);
      await client.putBucketVersioning('test-bucket', 'Enabled');
      const old = (await client.put('k', Buffer.from('old'))).res.headers['x-oss-version-id'];
      await client.put('k', Buffer.from('new'));
      await client.delete('k');
      await server.close();
      server = await startTestServer({ dataDir });
      client = aliClient(server);
      expect((await client.getBucketVersioning('test-bucket')).versionStatus).toBe('Enabled');
      expect(await failure(client.get('k'))).toMatchObject({ code: 'NoSuchKey' });
      expect(text((await client.get('k', undefined, { versionId: old })).content)).toBe('old');
      const versions = await client.getBucketVersions({});
      expect(versions.objects).toHaveLength(2);
      expect(versions.deleteMarker).toHaveLength(1);
      await server.close();
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
