import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningOssServer } from '../../../local/oss';
import { Crc64 } from '../../../local/oss/crc64';
import { multipartEtag } from '../../../local/oss/etag';
import { type AliOss, AWKWARD_KEYS, aliClient, BUCKET, bytes, failure, signedFetch, xmlField } from './helpers';

const md5Hex = (data: Buffer) => createHash('md5').update(data).digest('hex').toUpperCase();
const matrix = [
  { name: 'V1', v4: false, sts: false },
  { name: 'V1 + STS token', v4: false, sts: true },
  { name: 'V4', v4: true, sts: false },
  { name: 'V4 + STS token', v4: true, sts: true },
];

describe.each(matrix)('ali-oss 6.23 against the local server, $name', ({ v4, sts }) => {
  let server: RunningOssServer;
  let client: AliOss;
  // Each signing mode works in its own folder so the suites cannot see each other's objects.
  const dir = `${v4 ? 'v4' : 'v1'}${sts ? '-sts' : ''}/`;

  beforeAll(async () => {
    const { startTestServer } = await import('./helpers');
    server = await startTestServer();
    client = aliClient(server, { v4, sts });
  });
  afterAll(() => server.close());

  it('puts, gets, heads and deletes objects whose keys hold spaces, CJK, +, % and #', async () => {
    for (const [i, name] of AWKWARD_KEYS.entries()) {
      const key = dir + name;
      const body = Buffer.from(`body ${i} of ${name}`);
      const put = await client.put(key, body, { meta: { author: 'alice', n: String(i) } as never });
      expect(put.res.status).toBe(200);
      expect(put.res.headers.etag).toBe(`"${md5Hex(body)}"`);
      expect((put.res.headers as Record<string, string>)['x-oss-hash-crc64ecma']).toBe(Crc64.of(body));
      const got = await client.get(key);
      expect(Buffer.from(got.content as Buffer).equals(body)).toBe(true);
      const headers = got.res.headers as Record<string, string>;
      expect(headers['x-oss-hash-crc64ecma']).toBe(Crc64.of(body));
      expect(headers['x-oss-object-type']).toBe('Normal');
      expect(headers['content-md5']).toBe(createHash('md5').update(body).digest('base64'));
      expect(headers['x-oss-request-id']).toMatch(/^[0-9A-F]{24}$/);
      expect(headers.date).toBeTruthy();
      const head = await client.head(key);
      expect(head.meta).toEqual({ author: 'alice', n: String(i) });
      const meta = await client.getObjectMeta(key);
      expect((meta.res.headers as Record<string, string>)['content-length']).toBe(String(body.length));
    }
    const listed = await client.list({ prefix: dir, 'max-keys': 100 }, {});
    expect(listed.objects.map((o: { name: string }) => o.name).sort()).toEqual(AWKWARD_KEYS.map((k) => dir + k).sort());
    for (const name of AWKWARD_KEYS) expect((await client.delete(dir + name)).res.status).toBe(204);
    expect(await failure(client.get(dir + AWKWARD_KEYS[0]))).toMatchObject({ code: 'NoSuchKey', status: 404 });
    expect(await failure(client.head(dir + AWKWARD_KEYS[1]))).toMatchObject({ status: 404 });
    // Deleting a missing key is not an error on OSS.
    expect((await client.delete(`${dir}never-existed`)).res.status).toBe(204);
  });

  it('streams chunked uploads, checks Content-MD5, honours x-oss-forbid-overwrite and echoes encryption', async () => {
    const { Readable } = await import('node:stream');
    const data = bytes(300_000, 7);
    await client.putStream(`${dir}stream.bin`, Readable.from([data.subarray(0, 100_000), data.subarray(100_000)]));
    expect(Buffer.from((await client.get(`${dir}stream.bin`)).content as Buffer).equals(data)).toBe(true);

    const wrongMd5 = await failure(
      client.put(`${dir}md5.txt`, Buffer.from('abc'), {
        headers: { 'Content-MD5': createHash('md5').update('abd').digest('base64') },
      }),
    );
    expect(wrongMd5).toMatchObject({ code: 'InvalidDigest', status: 400 });
    expect(await failure(client.get(`${dir}md5.txt`))).toMatchObject({ code: 'NoSuchKey' });

    await client.put(`${dir}once.txt`, Buffer.from('first'));
    const again = await failure(
      client.put(`${dir}once.txt`, Buffer.from('second'), { headers: { 'x-oss-forbid-overwrite': 'true' } }),
    );
    expect(again).toMatchObject({ code: 'FileAlreadyExists', status: 409 });
    expect(String((await client.get(`${dir}once.txt`)).content)).toBe('first');

    const enc = await client.put(`${dir}enc.txt`, Buffer.from('secret'), {
      headers: { 'x-oss-server-side-encryption': 'AES256' },
    });
    expect((enc.res.headers as Record<string, string>)['x-oss-server-side-encryption']).toBe('AES256');
    expect(
      ((await client.head(`${dir}enc.txt`)).res.headers as Record<string, string>)['x-oss-server-side-encryption'],
    ).toBe('AES256');
    expect(
      await failure(
        client.put(`${dir}enc2.txt`, Buffer.from('x'), { headers: { 'x-oss-server-side-encryption': 'ROT13' } }),
      ),
    ).toMatchObject({
      code: 'InvalidEncryptionAlgorithmError',
    });
  });

  it('serves ranges (206, or the whole object for an invalid range) and response-* overrides', async () => {
    const data = Buffer.from('0123456789');
    await client.put(`${dir}range.txt`, data);
    const part = await client.get(`${dir}range.txt`, { headers: { Range: 'bytes=2-5' } });
    expect(part.res.status).toBe(206);
    expect(String(part.content)).toBe('2345');
    const h = part.res.headers as Record<string, string>;
    expect(h['content-range']).toBe('bytes 2-5/10');
    expect(h['x-oss-hash-crc64ecma']).toBe(Crc64.of(data));
    const suffix = await client.get(`${dir}range.txt`, { headers: { Range: 'bytes=-3' } });
    expect(String(suffix.content)).toBe('789');
    const invalid = await client.get(`${dir}range.txt`, { headers: { Range: 'bytes=5-100' } });
    expect(invalid.res.status).toBe(200);
    expect(String(invalid.content)).toBe('0123456789');
    const standard = await failure(
      client.get(`${dir}range.txt`, { headers: { Range: 'bytes=20-30', 'x-oss-range-behavior': 'standard' } }),
    );
    expect(standard).toMatchObject({ code: 'InvalidRange', status: 416 });
    const overridden = await client.get(`${dir}range.txt`, {
      subres: {
        'response-content-type': 'application/x-test',
        'response-content-disposition': 'attachment; filename="r.txt"',
        'response-cache-control': 'no-store',
      },
    } as never);
    const oh = overridden.res.headers as Record<string, string>;
    expect(oh['content-type']).toBe('application/x-test');
    expect(oh['content-disposition']).toBe('attachment; filename="r.txt"');
    expect(oh['cache-control']).toBe('no-store');
  });

  it('answers conditional GET and HEAD with 304 and 412', async () => {
    const put = await client.put(`${dir}cond.txt`, Buffer.from('conditional'));
    const etag = put.res.headers.etag as string;
    expect((await client.get(`${dir}cond.txt`, { headers: { 'If-None-Match': etag } })).res.status).toBe(304);
    expect((await client.get(`${dir}cond.txt`, { headers: { 'If-Match': etag } })).res.status).toBe(200);
    const failed = await failure(client.get(`${dir}cond.txt`, { headers: { 'If-Match': '"0000"' } }));
    expect(failed).toMatchObject({ code: 'PreconditionFailed', status: 412 });
    expect(failed.message).toContain('At least one of the pre-conditions you specified did not hold.');
    expect(failed.message).toContain('If-Match');
    const future = new Date(Date.now() + 3600_000).toUTCString();
    const past = new Date(Date.now() - 3600_000).toUTCString();
    expect((await client.get(`${dir}cond.txt`, { headers: { 'If-Modified-Since': future } })).res.status).toBe(304);
    expect(await failure(client.get(`${dir}cond.txt`, { headers: { 'If-Unmodified-Since': past } }))).toMatchObject({
      status: 412,
    });
    expect((await client.head(`${dir}cond.txt`, { headers: { 'If-None-Match': etag } })).status).toBe(304);
    expect(await failure(client.head(`${dir}cond.txt`, { headers: { 'If-Match': '"0000"' } }))).toMatchObject({
      status: 412,
    });
  });

  it('copies objects, including onto themselves to replace metadata, with source preconditions', async () => {
    const src = `${dir}copy/源 a+b.txt`;
    const put = await client.put(src, Buffer.from('copy me'), { meta: { origin: 'src' } as never, mime: 'text/plain' });
    const copied = await client.copy(`${dir}copy/dst.txt`, src, { meta: { origin: 'copy' } } as never);
    expect(copied.res.status).toBe(200);
    expect(copied.data?.etag).toBe(put.res.headers.etag);
    expect(String((await client.get(`${dir}copy/dst.txt`)).content)).toBe('copy me');
    expect((await client.head(`${dir}copy/dst.txt`)).meta).toEqual({ origin: 'copy' });
    // COPY directive (no meta given) keeps the source's metadata.
    await client.copy(`${dir}copy/dst2.txt`, src);
    expect((await client.head(`${dir}copy/dst2.txt`)).meta).toEqual({ origin: 'src' });
    await client.putMeta(src, { origin: 'updated' } as never, {});
    expect((await client.head(src)).meta).toEqual({ origin: 'updated' });
    expect(String((await client.get(src)).content)).toBe('copy me');
    // Unlike GET, a copy whose source still matches If-None-Match fails with 412, as on OSS.
    const notModified = await failure(
      client.copy(`${dir}copy/dst3.txt`, src, { headers: { 'If-None-Match': put.res.headers.etag as string } }),
    );
    expect(notModified).toMatchObject({ status: 412, code: 'PreconditionFailed' });
    expect(await failure(client.copy(`${dir}copy/dst3.txt`, src, { headers: { 'If-Match': '"0000"' } }))).toMatchObject(
      { status: 412 },
    );
    expect(await failure(client.copy(`${dir}copy/dst4.txt`, `${dir}copy/missing`))).toMatchObject({
      code: 'NoSuchKey',
      status: 404,
    });
    expect(
      await failure(client.copy(`${dir}copy/dst.txt`, src, { headers: { 'x-oss-forbid-overwrite': 'true' } })),
    ).toMatchObject({ code: 'FileAlreadyExists' });
  });

  it('appends to appendable objects and refuses a wrong position', async () => {
    const key = `${dir}append 追加.log`;
    const first = await client.append(key, Buffer.from('hello '));
    expect(first.nextAppendPosition).toBe('6');
    const second = await client.append(key, Buffer.from('world'), { position: first.nextAppendPosition } as never);
    expect(second.nextAppendPosition).toBe('11');
    const got = await client.get(key);
    expect(String(got.content)).toBe('hello world');
    const h = got.res.headers as Record<string, string>;
    expect(h['x-oss-object-type']).toBe('Appendable');
    expect(h['x-oss-next-append-position']).toBe('11');
    expect(h['x-oss-hash-crc64ecma']).toBe(Crc64.of(Buffer.from('hello world')));
    expect(h.etag).toBe(`"${md5Hex(Buffer.from('hello world'))}"`);
    const wrong = await failure(client.append(key, Buffer.from('!'), { position: '3' } as never));
    expect(wrong).toMatchObject({ code: 'PositionNotEqualToLength', status: 409 });
    await client.put(`${dir}normal.txt`, Buffer.from('n'));
    expect(
      await failure(client.append(`${dir}normal.txt`, Buffer.from('!'), { position: '1' } as never)),
    ).toMatchObject({ code: 'ObjectNotAppendable' });
  });

  it('lists with v1 and v2: prefix, delimiter, markers, continuation tokens and Owner', async () => {
    const base = `${dir}list/`;
    const names = ['a.txt', 'b/1.txt', 'b/2.txt', 'c d/x.txt', 'e+f.txt', '中/文.txt'];
    for (const n of names) await client.put(base + n, Buffer.from(n));
    const v1 = await client.list({ prefix: base, delimiter: '/', 'max-keys': 100 }, {});
    expect(v1.objects.map((o: { name: string }) => o.name)).toEqual([`${base}a.txt`, `${base}e+f.txt`]);
    expect(v1.prefixes).toEqual([`${base}b/`, `${base}c d/`, `${base}中/`]);
    expect(v1.objects[0]!.owner.id).toBeTruthy();
    const seen: string[] = [];
    let marker: string | undefined;
    do {
      const page = await client.list({ prefix: base, 'max-keys': 2, ...(marker ? { marker } : {}) }, {});
      seen.push(...page.objects.map((o: { name: string }) => o.name));
      marker = page.isTruncated ? (page.nextMarker ?? undefined) : undefined;
    } while (marker);
    expect(seen).toEqual(names.map((n) => base + n));
    const seenV2: string[] = [];
    let token: string | undefined;
    do {
      const page = await client.listV2(
        { prefix: base, 'max-keys': '2', ...(token ? { 'continuation-token': token } : {}) } as never,
        {},
      );
      expect(page.keyCount).toBe(page.objects.length);
      seenV2.push(...page.objects.map((o: { name: string }) => o.name));
      token = page.isTruncated ? (page.nextContinuationToken ?? undefined) : undefined;
    } while (token);
    expect(seenV2).toEqual(names.map((n) => base + n));
    const after = await client.listV2(
      { prefix: base, 'start-after': `${base}b/2.txt`, 'fetch-owner': true } as never,
      {},
    );
    expect(after.objects.map((o: { name: string }) => o.name)).toEqual([
      `${base}c d/x.txt`,
      `${base}e+f.txt`,
      `${base}中/文.txt`,
    ]);
    expect(after.objects[0]!.owner?.id).toBeTruthy();
    expect(await failure(client.list({ 'max-keys': 1001 }, {}))).toMatchObject({
      code: 'InvalidArgument',
      status: 400,
    });
  });

  it('deletes many objects at once, verbosely or quietly', async () => {
    const keys = [`${dir}multi/a&b.txt`, `${dir}multi/<c>.txt`, `${dir}multi/d e.txt`];
    for (const k of keys) await client.put(k, Buffer.from(k));
    const verbose = await client.deleteMulti([...keys.slice(0, 2), `${dir}multi/missing`]);
    expect(verbose.deleted.map((d: { Key: string }) => d.Key)).toEqual([...keys.slice(0, 2), `${dir}multi/missing`]);
    const quiet = await client.deleteMulti([keys[2]!], { quiet: true });
    expect(quiet.deleted).toEqual([]);
    expect((await client.list({ prefix: `${dir}multi/` }, {})).objects).toEqual([]);
  });

  it('tags objects and sets object ACLs', async () => {
    const key = `${dir}tagged 标签.txt`;
    await client.put(key, Buffer.from('t'), { headers: { 'x-oss-tagging': 'a=1&b=two%20words' } });
    expect((await client.getObjectTagging(key)).tag).toEqual({ a: '1', b: 'two words' });
    expect(((await client.head(key)).res.headers as Record<string, string>)['x-oss-tagging-count']).toBe('2');
    await client.putObjectTagging(key, { env: 'test', owner: 'team-a' });
    expect((await client.getObjectTagging(key)).tag).toEqual({ env: 'test', owner: 'team-a' });
    await client.deleteObjectTagging(key);
    expect((await client.getObjectTagging(key)).tag).toEqual({});
    expect((await client.getACL(key)).acl).toBe('default');
    await client.putACL(key, 'public-read');
    expect((await client.getACL(key)).acl).toBe('public-read');
    const tooMany = Object.fromEntries(Array.from({ length: 11 }, (_, i) => [`k${i}`, 'v']));
    expect(
      await failure(
        client.put(`${dir}t2.txt`, Buffer.from('x'), {
          headers: { 'x-oss-tagging': new URLSearchParams(tooMany).toString() },
        }),
      ),
    ).toMatchObject({ status: 400 });
  });

  it('runs multipart uploads: parts, part copy, listing, completion with the OSS ETag, abort', async () => {
    const key = `${dir}multipart/大 file+1.bin`;
    const data = bytes(250_000, 3);
    const init = await client.initMultipartUpload(key, { meta: { kind: 'mp' } } as never);
    expect(init.uploadId).toMatch(/^[0-9A-F]{32}$/);
    const p1 = await client.uploadPart(key, init.uploadId, 1, data, 0, 102_400);
    const p2 = await client.uploadPart(key, init.uploadId, 2, data, 102_400, 204_800);
    const p3 = await client.uploadPart(key, init.uploadId, 3, data, 204_800, data.length);
    expect(p1.etag).toBe(`"${md5Hex(data.subarray(0, 102_400))}"`);
    const parts = await client.listParts(key, init.uploadId, { 'max-parts': '2' } as never, {});
    expect(parts.parts.map((p: { PartNumber: string }) => p.PartNumber)).toEqual(['1', '2']);
    expect(String(parts.isTruncated)).toBe('true');
    const uploads = await client.listUploads({ prefix: `${dir}multipart/` }, {});
    expect(uploads.uploads.map((u: { uploadId: string }) => u.uploadId)).toContain(init.uploadId);
    const done = await client.completeMultipartUpload(key, init.uploadId, [
      { number: 1, etag: p1.etag },
      { number: 2, etag: p2.etag },
      { number: 3, etag: p3.etag },
    ]);
    const expectedEtag = multipartEtag([p1.etag, p2.etag, p3.etag].map((e) => e.replace(/"/g, '')));
    expect(done.etag).toBe(`"${expectedEtag}"`);
    const got = await client.get(key);
    expect(Buffer.from(got.content as Buffer).equals(data)).toBe(true);
    const h = got.res.headers as Record<string, string>;
    expect(h['x-oss-object-type']).toBe('Multipart');
    expect(h['x-oss-hash-crc64ecma']).toBe(Crc64.of(data));
    expect((await client.head(key)).meta).toEqual({ kind: 'mp' });
    expect(await failure(client.listParts(key, init.uploadId, {}, {}))).toMatchObject({
      code: 'NoSuchUpload',
      status: 404,
    });

    // UploadPartCopy from the completed object, then a too-small first part.
    const copyKey = `${dir}multipart/copy.bin`;
    const init2 = await client.initMultipartUpload(copyKey);
    const c1 = await client.uploadPartCopy(copyKey, init2.uploadId, 1, '0-102399', {
      sourceKey: key,
      sourceBucketName: BUCKET,
    });
    const c2 = await client.uploadPartCopy(copyKey, init2.uploadId, 2, `102400-${data.length - 1}`, {
      sourceKey: key,
      sourceBucketName: BUCKET,
    });
    await client.completeMultipartUpload(copyKey, init2.uploadId, [
      { number: 1, etag: c1.etag },
      { number: 2, etag: c2.etag },
    ]);
    expect(Buffer.from((await client.get(copyKey)).content as Buffer).equals(data)).toBe(true);

    const init3 = await client.initMultipartUpload(`${dir}multipart/small.bin`);
    const s1 = await client.uploadPart(`${dir}multipart/small.bin`, init3.uploadId, 1, data, 0, 1000);
    const s2 = await client.uploadPart(`${dir}multipart/small.bin`, init3.uploadId, 2, data, 1000, 2000);
    const small = await failure(
      client.completeMultipartUpload(`${dir}multipart/small.bin`, init3.uploadId, [
        { number: 1, etag: s1.etag },
        { number: 2, etag: s2.etag },
      ]),
    );
    expect(small).toMatchObject({ code: 'EntityTooSmall', status: 400 });
    const badEtag = await failure(
      client.completeMultipartUpload(`${dir}multipart/small.bin`, init3.uploadId, [{ number: 1, etag: '"00"' }]),
    );
    expect(badEtag).toMatchObject({ code: 'InvalidPart' });
    expect((await client.abortMultipartUpload(`${dir}multipart/small.bin`, init3.uploadId)).res.status).toBe(204);
    expect(await failure(client.uploadPart(`${dir}multipart/small.bin`, init3.uploadId, 3, data, 0, 10))).toMatchObject(
      { code: 'NoSuchUpload' },
    );

    // ali-oss's own high-level multipart helper.
    const big = bytes(350_000, 9);
    const result = await client.multipartUpload(`${dir}multipart/helper.bin`, big, { partSize: 102_400 });
    expect(result.res.status).toBe(200);
    expect(Buffer.from((await client.get(`${dir}multipart/helper.bin`)).content as Buffer).equals(big)).toBe(true);
  });

  it('manages buckets: create with a storage class, list, info, location, ACL, CORS, lifecycle, delete', async () => {
    const name = `b-${v4 ? 'v4' : 'v1'}-${sts ? 'sts' : 'root'}`;
    await client.putBucket(name, { StorageClass: 'IA' } as never);
    // Putting it again with the same settings succeeds, as for an owner on OSS.
    await client.putBucket(name, { StorageClass: 'IA' } as never);
    expect(await failure(client.putBucket(name, { StorageClass: 'Archive' } as never))).toMatchObject({
      code: 'BucketAlreadyExists',
      status: 409,
    });
    const listed = await client.listBuckets({});
    const mine = listed.buckets?.find((b: { name: string }) => b.name === name);
    expect(mine).toMatchObject({ name, region: 'oss-cn-hangzhou', storageClass: 'IA' });
    expect((await client.getBucketInfo(name)).bucket).toMatchObject({
      Name: name,
      StorageClass: 'IA',
      Location: 'oss-cn-hangzhou',
    });
    expect((await client.getBucketLocation(name)).location).toBe('oss-cn-hangzhou');
    await client.putBucketACL(name, 'public-read');
    expect((await client.getBucketACL(name)).acl).toBe('public-read');
    expect(await failure(client.getBucketCORS(name))).toMatchObject({ code: 'NoSuchCORSConfiguration', status: 404 });
    await client.putBucketCORS(name, [
      {
        allowedOrigin: '*',
        allowedMethod: ['GET', 'PUT'],
        allowedHeader: '*',
        exposeHeader: 'ETag',
        maxAgeSeconds: '60',
      },
    ]);
    expect((await client.getBucketCORS(name)).rules[0]).toMatchObject({
      allowedOrigin: '*',
      allowedMethod: ['GET', 'PUT'],
      exposeHeader: 'ETag',
      maxAgeSeconds: '60',
    });
    await client.deleteBucketCORS(name);
    expect(await failure(client.getBucketLifecycle(name))).toMatchObject({ code: 'NoSuchLifecycle' });
    await client.putBucketLifecycle(name, [
      { id: 'expire-logs', prefix: 'logs/', status: 'Enabled', expiration: { days: 30 } },
    ] as never);
    expect((await client.getBucketLifecycle(name)).rules).toMatchObject([
      { id: 'expire-logs', prefix: 'logs/', status: 'Enabled', expiration: { days: '30' } },
    ]);
    await client.deleteBucketLifecycle(name);
    const other = aliClient(server, { v4, sts, bucket: name });
    await other.put('x', Buffer.from('x'));
    expect(await failure(client.deleteBucket(name))).toMatchObject({ code: 'BucketNotEmpty', status: 409 });
    await other.delete('x');
    await client.deleteBucket(name);
    expect(await failure(client.getBucketInfo(name))).toMatchObject({ code: 'NoSuchBucket', status: 404 });
    // ali-oss refuses the name before sending anything; the server must refuse it too when asked directly.
    expect(await failure(client.putBucket('Bad_Name'))).toMatchObject({
      message: 'The bucket must be conform to the specifications',
    });
    const badName = await signedFetch(server, 'PUT', '', { bucket: 'Bad_Name' });
    expect(badName.status).toBe(400);
    expect(xmlField(await badName.text(), 'Code')).toBe('InvalidBucketName');
  });
});
