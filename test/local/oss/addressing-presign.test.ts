import OSS from 'ali-oss';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mintTemporaryCredentials, type RunningOssServer } from '../../../local/oss';
import { encodePath, formatQuery, presignQuery } from '../../../shared/storage/signing';
import { aliClient, BUCKET, failure, loopbackAgent, ROOT, startTestServer, xmlField } from './helpers';

let server: RunningOssServer;
beforeAll(async () => {
  server = await startTestServer({ baseDomains: ['oss.test'] });
});
afterAll(() => server.close());

describe('addressing styles ali-oss produces (docs/oss-protocol.md §7)', () => {
  it.each(['ip', 'ip-sld', 'virtual-host', 'sld'] as const)(
    'works with %s addressing, V1 and V4',
    async (addressing) => {
      for (const v4 of [false, true]) {
        const client = aliClient(server, { addressing, v4 });
        const key = `addr/${addressing}/${v4 ? 'v4' : 'v1'}/a b+c.txt`;
        await client.put(key, Buffer.from(addressing));
        expect(String((await client.get(key)).content)).toBe(addressing);
        expect((await client.list({ prefix: `addr/${addressing}/` }, {})).objects.length).toBeGreaterThan(0);
        // The IP endpoint sends ListBuckets with Host ".oss-cn-hangzhou.aliyuncs.com".
        expect((await client.listBuckets({})).buckets?.map((b: { name: string }) => b.name)).toContain(BUCKET);
      }
    },
  );

  it('serves an extra base domain as virtual-hosted', async () => {
    const client = new OSS({
      endpoint: `http://oss.test:${server.port}`,
      region: 'oss-cn-hangzhou',
      accessKeyId: ROOT.accessKeyId,
      accessKeySecret: ROOT.accessKeySecret,
      bucket: BUCKET,
      ...({ agent: loopbackAgent } as object),
    } as OSS.Options);
    await client.put('domain/x.txt', Buffer.from('domain'));
    expect(String((await client.get('domain/x.txt')).content)).toBe('domain');
  });
});

const url = (key: string, query: Array<[string, string]>) =>
  `${server.url}/${BUCKET}/${encodePath(key)}?${formatQuery(query)}`;

describe('presigned URLs with plain fetch', () => {
  const key = 'presigned/中 文+%#.txt';

  it('accepts URLs signed by ali-oss signatureUrl (V1) and signatureUrlV4, for GET and PUT', async () => {
    const client = aliClient(server, {});
    const putUrl = client.signatureUrl(key, { method: 'PUT', 'Content-Type': 'text/plain', expires: 300 } as never);
    expect(
      (await fetch(putUrl, { method: 'PUT', body: 'v1 body', headers: { 'Content-Type': 'text/plain' } })).status,
    ).toBe(200);
    const getUrl = client.signatureUrl(key, {
      expires: 300,
      response: { 'content-disposition': 'attachment; filename="x.txt"' },
    } as never);
    const got = await fetch(getUrl);
    expect(got.status).toBe(200);
    expect(await got.text()).toBe('v1 body');
    expect(got.headers.get('content-disposition')).toBe('attachment; filename="x.txt"');
    expect(got.headers.get('content-type')).toBe('text/plain');

    const v4 = aliClient(server, { v4: true });
    const put4 = await v4.signatureUrlV4('PUT', 300, { headers: { 'content-type': 'application/json' } }, key);
    expect(
      (await fetch(put4, { method: 'PUT', body: '{"v":4}', headers: { 'content-type': 'application/json' } })).status,
    ).toBe(200);
    const get4 = await v4.signatureUrlV4('GET', 300, undefined, key);
    expect(await (await fetch(get4)).text()).toBe('{"v":4}');

    const sts = aliClient(server, { sts: true });
    const stsUrl = sts.signatureUrl(key, { expires: 300 });
    expect(stsUrl).toContain('security-token=');
    expect((await fetch(stsUrl)).status).toBe(200);
  });

  it('accepts URLs signed by shared/storage/signing presignQuery, V1 and V4, with an STS token', async () => {
    const temporary = mintTemporaryCredentials(ROOT, 600);
    for (const version of ['v1', 'v4'] as const) {
      for (const credentials of [ROOT, temporary]) {
        const now = new Date();
        const put = presignQuery({
          method: 'PUT',
          bucket: BUCKET,
          key,
          credentials,
          region: 'cn-hangzhou',
          version,
          now,
          expiresSeconds: 300,
        });
        // A Buffer body: fetch adds no Content-Type, which would otherwise be signed (docs/oss-protocol.md §1.3).
        const res = await fetch(url(key, put), {
          method: 'PUT',
          body: Buffer.from(`${version} ${credentials.accessKeyId}`),
        });
        expect(res.status).toBe(200);
        expect(res.headers.get('etag')).toMatch(/^"[0-9A-F]{32}"$/);
        const get = presignQuery({
          method: 'GET',
          bucket: BUCKET,
          key,
          credentials,
          region: 'cn-hangzhou',
          version,
          now,
          expiresSeconds: 300,
        });
        expect(await (await fetch(url(key, get))).text()).toBe(`${version} ${credentials.accessKeyId}`);
      }
    }
  });

  it('binds the upload size when content-length is an additional signed header (V4)', async () => {
    const body = 'exactly 17 bytes!';
    const query = presignQuery({
      method: 'PUT',
      bucket: BUCKET,
      key: 'presigned/sized.bin',
      credentials: ROOT,
      region: 'cn-hangzhou',
      version: 'v4',
      now: new Date(),
      expiresSeconds: 300,
      headers: { 'content-length': String(body.length) },
      additionalHeaders: ['content-length'],
    });
    expect(Object.fromEntries(query)['x-oss-additional-headers']).toBe('content-length');
    const refused = await fetch(url('presigned/sized.bin', query), { method: 'PUT', body: Buffer.from(`${body}+`) });
    expect(refused.status).toBe(403);
    expect(xmlField(await refused.text(), 'Code')).toBe('SignatureDoesNotMatch');
    expect((await fetch(url('presigned/sized.bin', query), { method: 'PUT', body: Buffer.from(body) })).status).toBe(
      200,
    );
  });

  it('refuses tampered, expired and wrong-method URLs', async () => {
    const now = new Date();
    for (const version of ['v1', 'v4'] as const) {
      const get = presignQuery({
        method: 'GET',
        bucket: BUCKET,
        key,
        credentials: ROOT,
        region: 'cn-hangzhou',
        version,
        now,
        expiresSeconds: 300,
      });
      const sigName = version === 'v1' ? 'Signature' : 'x-oss-signature';
      const tampered = get.map(([k, v]): [string, string] => [
        k,
        k === sigName ? `${v.slice(0, -2)}${v.endsWith('AA') ? 'BB' : 'AA'}` : v,
      ]);
      const t = await fetch(url(key, tampered));
      expect(t.status).toBe(403);
      const tBody = await t.text();
      expect(xmlField(tBody, 'Code')).toBe('SignatureDoesNotMatch');
      expect(xmlField(tBody, 'StringToSign')).toBeTruthy();
      expect(xmlField(tBody, 'RequestId')).toBe(t.headers.get('x-oss-request-id'));
      const otherKey = await fetch(url('presigned/other.txt', get));
      expect(xmlField(await otherKey.text(), 'Code')).toBe('SignatureDoesNotMatch');
      const wrongMethod = await fetch(url(key, get), { method: 'PUT', body: Buffer.from('x') });
      expect(wrongMethod.status).toBe(403);
      expect(xmlField(await wrongMethod.text(), 'Code')).toBe('SignatureDoesNotMatch');
      const extended = get.map(([k, v]): [string, string] => [
        k,
        k === 'Expires' ? String(Number(v) + 1000) : k === 'x-oss-expires' ? '3600' : v,
      ]);
      expect((await fetch(url(key, extended))).status).toBe(403);
      const expiredQuery = presignQuery({
        method: 'GET',
        bucket: BUCKET,
        key,
        credentials: ROOT,
        region: 'cn-hangzhou',
        version,
        now: new Date(now.getTime() - 3600_000),
        expiresSeconds: 60,
      });
      const expired = await fetch(url(key, expiredQuery));
      expect(expired.status).toBe(403);
      const eBody = await expired.text();
      expect(xmlField(eBody, 'Code')).toBe('AccessDenied');
      expect(xmlField(eBody, 'Message')).toBe('Request has expired.');
      expect(xmlField(eBody, 'Expires')).toBeTruthy();
    }
    const partial = await fetch(
      `${server.url}/${BUCKET}/${encodePath(key)}?OSSAccessKeyId=${ROOT.accessKeyId}&Expires=99999999999`,
    );
    expect(partial.status).toBe(403);
    expect(xmlField(await partial.text(), 'Message')).toBe(
      'Query-string authentication requires the Signature, Expires and OSSAccessKeyId parameters',
    );
  });

  it('makes ali-oss refuse expired STS credentials with SecurityTokenExpired', async () => {
    const old = mintTemporaryCredentials(ROOT, 1, new Date(Date.now() - 10_000));
    const query = presignQuery({
      method: 'GET',
      bucket: BUCKET,
      key,
      credentials: old,
      region: 'cn-hangzhou',
      version: 'v4',
      now: new Date(),
      expiresSeconds: 60,
    });
    const res = await fetch(url(key, query));
    expect(res.status).toBe(403);
    expect(xmlField(await res.text(), 'Code')).toBe('SecurityTokenExpired');
    const client = new OSS({
      endpoint: `http://localhost:${server.port}`,
      region: 'oss-cn-hangzhou',
      accessKeyId: old.accessKeyId,
      accessKeySecret: old.accessKeySecret,
      stsToken: old.securityToken,
      bucket: BUCKET,
      ...({ sldEnable: true } as object),
    } as OSS.Options);
    expect(await failure(client.get(key))).toMatchObject({ code: 'SecurityTokenExpired', status: 403 });
  });
});
