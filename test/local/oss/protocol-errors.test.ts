import { createHash } from 'node:crypto';
import { request } from 'node:http';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningOssServer } from '../../../local/oss';
import { v1Signature, v1StringToSign } from '../../../shared/storage/signing';
import { aliClient, BUCKET, ROOT, signedFetch, startTestServer, xmlField } from './helpers';

let server: RunningOssServer;
beforeAll(async () => {
  server = await startTestServer({ buckets: [BUCKET, 'public-bucket'] });
  await aliClient(server).put('private.txt', Buffer.from('private'));
});
afterAll(() => server.close());

const md5b64 = (text: string) => createHash('md5').update(text).digest('base64');

/** Sends raw bytes and returns the raw response text (for requests fetch cannot express). */
function raw(text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(server.port, '127.0.0.1', () => socket.end(text));
    let out = '';
    socket.on('data', (d) => (out += d.toString('latin1')));
    socket.on('end', () => resolve(out));
    socket.on('error', reject);
  });
}

describe('OSS error responses', () => {
  it('answers anonymous requests to private data with 403 AccessDenied in OSS XML, with the common headers', async () => {
    const res = await fetch(`${server.url}/${BUCKET}/private.txt`);
    expect(res.status).toBe(403);
    expect(res.headers.get('content-type')).toBe('application/xml');
    expect(res.headers.get('server')).toBe('AliyunOSS');
    expect(res.headers.get('date')).toMatch(/GMT$/);
    const id = res.headers.get('x-oss-request-id');
    expect(id).toMatch(/^[0-9A-F]{24}$/);
    const body = await res.text();
    expect(body.startsWith('<?xml version="1.0" encoding="UTF-8"?>')).toBe(true);
    expect(xmlField(body, 'Code')).toBe('AccessDenied');
    expect(xmlField(body, 'RequestId')).toBe(id);
    expect(xmlField(body, 'HostId')).toBe(`${BUCKET}.oss-cn-hangzhou.aliyuncs.com`);
    expect((await fetch(`${server.url}/${BUCKET}/?list-type=2`)).status).toBe(403);
    expect((await fetch(`${server.url}/${BUCKET}/missing-key`)).status).toBe(403);
    expect((await fetch(`${server.url}/no-such-bucket/k`)).status).toBe(404);
  });

  it('lets anonymous clients read public-read objects and write public-read-write buckets, nothing more', async () => {
    const client = aliClient(server);
    await client.put('public.txt', Buffer.from('public'));
    await client.putACL('public.txt', 'public-read');
    const res = await fetch(`${server.url}/${BUCKET}/public.txt`);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('public');
    const withOverride = await fetch(`${server.url}/${BUCKET}/public.txt?response-content-type=text/html`);
    expect(withOverride.status).toBe(400);
    expect(xmlField(await withOverride.text(), 'Code')).toBe('InvalidRequest');
    expect((await fetch(`${server.url}/${BUCKET}/public.txt`, { method: 'DELETE' })).status).toBe(403);
    await client.putBucketACL('public-bucket', 'public-read-write');
    expect(
      (await fetch(`${server.url}/public-bucket/anon.txt`, { method: 'PUT', body: Buffer.from('anon') })).status,
    ).toBe(200);
    expect(await (await fetch(`${server.url}/public-bucket/anon.txt`)).text()).toBe('anon');
    expect((await fetch(`${server.url}/public-bucket/?acl`)).status).toBe(403);
  });

  it('puts HEAD errors, which have no body, base64-encoded in x-oss-err', async () => {
    const res = await signedFetch(server, 'HEAD', 'missing.txt');
    expect(res.status).toBe(404);
    expect(await res.text()).toBe('');
    const doc = Buffer.from(res.headers.get('x-oss-err')!, 'base64').toString('utf8');
    expect(xmlField(doc, 'Code')).toBe('NoSuchKey');
    expect(res.headers.get('x-oss-ec')).toBe('0026-00000001');
  });

  it('refuses malformed input with OSS errors and keeps serving', async () => {
    expect(
      xmlField(
        await (await signedFetch(server, 'GET', 'k', { query: [['x-oss-process', 'image/resize,w_10']] })).text(),
        'Code',
      ),
    ).toBe('NotImplemented');
    expect((await signedFetch(server, 'PATCH', 'k')).status).toBe(405);
    const badUri = await raw(`GET /${BUCKET}/%E4%zz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n`);
    expect(badUri).toMatch(/^HTTP\/1\.1 400/);
    expect(badUri).toContain('<Code>InvalidURI</Code>');
    const badAuth = await fetch(`${server.url}/${BUCKET}/k`, { headers: { authorization: 'OSS nonsense' } });
    expect(xmlField(await badAuth.text(), 'Code')).toBe('InvalidArgument');
    const longKey = await signedFetch(server, 'PUT', 'k'.repeat(1024), { body: 'x' });
    expect(xmlField(await longKey.text(), 'Code')).toBe('InvalidObjectName');
    const garbage = await raw('NOT HTTP AT ALL\r\n\r\n');
    expect(garbage).toMatch(/^HTTP\/1\.1 400/);
    const date = new Date().toUTCString();
    const signature = v1Signature(
      ROOT.accessKeySecret,
      v1StringToSign({ method: 'PUT', bucket: BUCKET, key: 'x', headers: { 'x-oss-date': date }, query: [], date }),
    );
    const noLength = await raw(
      `PUT /${BUCKET}/x HTTP/1.1\r\nHost: localhost\r\nx-oss-date: ${date}\r\nAuthorization: OSS ${ROOT.accessKeyId}:${signature}\r\nConnection: close\r\n\r\n`,
    );
    expect(noLength).toMatch(/^HTTP\/1\.1 411/);
    expect(noLength).toContain('<Code>MissingContentLength</Code>');
    expect((await aliClient(server).get('private.txt')).res.status).toBe(200);
  });

  it('requires Content-MD5 and well-formed XML of at most 1000 keys for DeleteMultipleObjects', async () => {
    const doc = (keys: string[]) =>
      `<?xml version="1.0" encoding="UTF-8"?><Delete><Quiet>false</Quiet>${keys.map((k) => `<Object><Key>${k}</Key></Object>`).join('')}</Delete>`;
    const small = doc(['a']);
    const noMd5 = await signedFetch(server, 'POST', '', {
      query: [['delete', '']],
      body: small,
      headers: { 'content-type': 'application/xml' },
    });
    expect(noMd5.status).toBe(400);
    const wrongMd5 = await signedFetch(server, 'POST', '', {
      query: [['delete', '']],
      body: small,
      headers: { 'content-type': 'application/xml', 'content-md5': md5b64('other') },
    });
    expect(xmlField(await wrongMd5.text(), 'Code')).toBe('InvalidDigest');
    const big = doc(Array.from({ length: 1001 }, (_, i) => `k${i}`));
    const tooMany = await signedFetch(server, 'POST', '', {
      query: [['delete', '']],
      body: big,
      headers: { 'content-type': 'application/xml', 'content-md5': md5b64(big) },
    });
    expect(xmlField(await tooMany.text(), 'Code')).toBe('MalformedXML');
    const broken = '<Delete><Object><Key>a</Key></Delete>';
    const malformed = await signedFetch(server, 'POST', '', {
      query: [['delete', '']],
      body: broken,
      headers: { 'content-type': 'application/xml', 'content-md5': md5b64(broken) },
    });
    expect(xmlField(await malformed.text(), 'Code')).toBe('MalformedXML');
    const exactly = doc(Array.from({ length: 1000 }, (_, i) => `k${i}`));
    const ok = await signedFetch(server, 'POST', '', {
      query: [
        ['delete', ''],
        ['encoding-type', 'url'],
      ],
      body: exactly,
      headers: { 'content-type': 'application/xml', 'content-md5': md5b64(exactly) },
    });
    expect(ok.status).toBe(200);
    expect((await ok.text()).match(/<Deleted>/g)).toHaveLength(1000);
  });

  it('checks the order of parts in CompleteMultipartUpload', async () => {
    const client = aliClient(server);
    const init = await client.initMultipartUpload('order.bin');
    const p1 = await client.uploadPart('order.bin', init.uploadId, 1, Buffer.alloc(102_400, 1), 0, 102_400);
    const p2 = await client.uploadPart('order.bin', init.uploadId, 2, Buffer.alloc(10, 2), 0, 10);
    const body = `<CompleteMultipartUpload><Part><PartNumber>2</PartNumber><ETag>${p2.etag}</ETag></Part><Part><PartNumber>1</PartNumber><ETag>${p1.etag}</ETag></Part></CompleteMultipartUpload>`;
    const res = await signedFetch(server, 'POST', 'order.bin', { query: [['uploadId', init.uploadId]], body });
    expect(res.status).toBe(400);
    expect(xmlField(await res.text(), 'Code')).toBe('InvalidPartOrder');
    const all = await signedFetch(server, 'POST', 'order.bin', {
      query: [['uploadId', init.uploadId]],
      headers: { 'x-oss-complete-all': 'yes' },
    });
    expect(all.status).toBe(200);
    expect(all.headers.get('etag')).toMatch(/-2"$/);
    const badNumber = await signedFetch(server, 'PUT', 'order.bin', {
      query: [
        ['partNumber', '10001'],
        ['uploadId', init.uploadId],
      ],
      body: 'x',
    });
    expect(xmlField(await badNumber.text(), 'ArgumentName')).toBe('PartNumber');
  });

  it('answers without reading the body when a client sending Expect: 100-continue is refused', async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const req = request({
        host: '127.0.0.1',
        port: server.port,
        method: 'PUT',
        path: `/${BUCKET}/expect.bin`,
        headers: {
          expect: '100-continue',
          'content-length': '1000000',
          authorization: 'OSS test-access-key:bad',
          'x-oss-date': new Date().toUTCString(),
        },
      });
      req.on('continue', () => reject(new Error('the server asked for the body of a refused request')));
      req.on('response', (res) => {
        res.resume();
        resolve(res.statusCode!);
        req.destroy();
      });
      req.on('error', () => undefined);
      req.flushHeaders();
    });
    expect(status).toBe(403);
    const accepted = await new Promise<number>((resolve) => {
      const client = aliClient(server);
      void client
        .put('expect-ok.bin', Buffer.alloc(10), { headers: { Expect: '100-continue' } })
        .then((r) => resolve(r.res.status));
    });
    expect(accepted).toBe(200);
  });
});

describe('CORS on the wire', () => {
  it('answers preflights from the bucket rules and adds CORS headers to actual responses, errors included', async () => {
    const client = aliClient(server);
    const origin = 'http://localhost:9000';
    const preflight = () =>
      fetch(`${server.url}/${BUCKET}/upload.bin`, {
        method: 'OPTIONS',
        headers: { origin, 'access-control-request-method': 'PUT', 'access-control-request-headers': 'content-type' },
      });
    const before = await preflight();
    expect(before.status).toBe(403);
    expect(xmlField(await before.text(), 'Code')).toBe('AccessForbidden');
    await client.putBucketCORS(BUCKET, [
      {
        allowedOrigin: 'http://localhost:*',
        allowedMethod: ['GET', 'PUT'],
        allowedHeader: '*',
        exposeHeader: ['ETag', 'x-oss-request-id'],
        maxAgeSeconds: '600',
      },
    ]);
    const after = await preflight();
    expect(after.status).toBe(200);
    expect(after.headers.get('access-control-allow-origin')).toBe(origin);
    expect(after.headers.get('access-control-allow-methods')).toBe('GET, PUT');
    expect(after.headers.get('access-control-allow-headers')).toBe('content-type');
    expect(after.headers.get('access-control-max-age')).toBe('600');
    const denied = await fetch(`${server.url}/${BUCKET}/upload.bin`, {
      method: 'OPTIONS',
      headers: { origin: 'https://evil.test', 'access-control-request-method': 'PUT' },
    });
    expect(denied.status).toBe(403);
    const actual = await fetch(`${server.url}/${BUCKET}/private.txt`, { headers: { origin } });
    expect(actual.status).toBe(403);
    expect(actual.headers.get('access-control-allow-origin')).toBe(origin);
    expect(actual.headers.get('access-control-expose-headers')).toBe('ETag, x-oss-request-id');
    await client.deleteBucketCORS(BUCKET);
  });
});

describe('encoding-type=url', () => {
  it('URL-encodes keys, prefixes, delimiters, markers and tokens in listings, %XX for every reserved byte', async () => {
    const client = aliClient(server);
    for (const key of ['enc/a b+c.txt', 'enc/中/x', 'enc/z~_.-']) await client.put(key, Buffer.from('e'));
    const v1 = await (
      await signedFetch(server, 'GET', '', {
        query: [
          ['prefix', 'enc/'],
          ['delimiter', '/'],
          ['encoding-type', 'url'],
          ['max-keys', '1'],
        ],
      })
    ).text();
    expect(xmlField(v1, 'EncodingType')).toBe('url');
    expect(xmlField(v1, 'Prefix')).toBe('enc%2F');
    expect(xmlField(v1, 'Key')).toBe('enc%2Fa%20b%2Bc.txt');
    expect(xmlField(v1, 'NextMarker')).toBe('enc%2Fa%20b%2Bc.txt');
    const v2 = await (
      await signedFetch(server, 'GET', '', {
        query: [
          ['list-type', '2'],
          ['prefix', 'enc/'],
          ['delimiter', '/'],
          ['encoding-type', 'url'],
        ],
      })
    ).text();
    expect(v2).toContain('<Prefix>enc%2F%E4%B8%AD%2F</Prefix>');
    expect(v2).toContain('<Key>enc%2Fz~_.-</Key>');
    expect(xmlField(v2, 'KeyCount')).toBe('3');
    const bad = await signedFetch(server, 'GET', '', { query: [['encoding-type', 'base64']] });
    expect(xmlField(await bad.text(), 'Code')).toBe('InvalidArgument');
  });
});
