/**
 * Behaviours real clients meet where the local server used to differ from OSS: Content-Length together
 * with chunked encoding, a PostObject `file` sent as a plain field and every policy condition under V1
 * and V4, CopyObject precondition failures, control characters in listed keys, and the order and markers
 * of ListMultipartUploads.
 */
import { connect } from 'node:net';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningOssServer } from '../../../local/oss';
import { encodePath, v1Signature, v1StringToSign } from '../../../shared/storage/signing';
import { type AliOss, aliClient, BUCKET, failure, ROOT, signedFetch, startTestServer, xmlField } from './helpers';

let server: RunningOssServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

const modes = [
  { name: 'V1', v4: false },
  { name: 'V4', v4: true },
];

describe.each(modes)('with ali-oss $name', ({ v4 }) => {
  let client: AliOss;
  const dir = v4 ? 'v4/' : 'v1/';
  beforeAll(() => {
    client = aliClient(server, { v4 });
  });

  it('stores a stream sent with an explicit Content-Length (chunked body and Content-Length together)', async () => {
    const body = Buffer.from('streamed with a declared length');
    const put = await client.putStream(`${dir}stream.txt`, Readable.from([body.subarray(0, 10), body.subarray(10)]), {
      headers: { 'Content-Length': String(body.length) },
    });
    expect(put.res.status).toBe(200);
    expect(Buffer.from((await client.get(`${dir}stream.txt`)).content).equals(body)).toBe(true);
  });

  it('fails copies whose source conditions do not hold with 412 PreconditionFailed', async () => {
    const put = await client.put(`${dir}cond-src.txt`, Buffer.from('source'));
    const etag = put.res.headers.etag as string;
    const later = new Date(Date.now() + 3_600_000).toUTCString();
    const earlier = new Date(Date.now() - 3_600_000).toUTCString();
    for (const headers of [
      { 'x-oss-copy-source-if-match': '"00000000000000000000000000000000"' },
      { 'x-oss-copy-source-if-none-match': etag },
      { 'x-oss-copy-source-if-modified-since': later },
      { 'x-oss-copy-source-if-unmodified-since': earlier },
    ]) {
      expect(await failure(client.copy(`${dir}cond-dst.txt`, `${dir}cond-src.txt`, { headers }))).toMatchObject({
        status: 412,
        code: 'PreconditionFailed',
      });
    }
    expect(await failure(client.get(`${dir}cond-dst.txt`))).toMatchObject({ code: 'NoSuchKey' });
  });

  it('lists keys holding control characters exactly, with and without encoding-type=url', async () => {
    const key = `${dir}ctl/\x01\x0a\x0c\x07\r\x1f.txt`;
    await client.put(key, Buffer.from('ctl'));
    const plain = await client.list({ prefix: `${dir}ctl/` }, {});
    expect(plain.objects.map((o: { name: string }) => o.name)).toEqual([key]);
    const v2 = await client.listV2({ prefix: `${dir}ctl/` }, {});
    expect(v2.objects.map((o: { name: string }) => o.name)).toEqual([key]);
    const encoded = await client.listV2({ prefix: `${dir}ctl/`, 'encoding-type': 'url' }, {});
    expect(encoded.objects.map((o: { name: string }) => decodeURIComponent(o.name))).toEqual([key]);
    expect(Buffer.from((await client.get(plain.objects[0].name)).content).toString()).toBe('ctl');
  });

  it('lists the uploads of one key by upload id, and pages with key-marker and upload-id-marker as OSS does', async () => {
    const key = `${dir}uploads/same-key.bin`;
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) ids.push((await client.initMultipartUpload(key)).uploadId);
    await client.initMultipartUpload(`${dir}uploads/z-other.bin`);
    const sorted = [...ids].sort();
    const all = await client.listUploads({ prefix: `${dir}uploads/` });
    expect(all.uploads.map((u: { uploadId: string }) => u.uploadId).slice(0, 4)).toEqual(sorted);
    // upload-id-marker without key-marker is ignored.
    const idOnly = await client.listUploads({ prefix: `${dir}uploads/`, 'upload-id-marker': sorted[1] });
    expect(idOnly.uploads).toHaveLength(5);
    const after = await client.listUploads({
      prefix: `${dir}uploads/`,
      'key-marker': key,
      'upload-id-marker': sorted[1],
      'max-uploads': 2,
    });
    expect(after.uploads.map((u: { uploadId: string }) => u.uploadId)).toEqual(sorted.slice(2, 4));
    expect(after.isTruncated).toBe(true);
    const rest = await client.listUploads({
      prefix: `${dir}uploads/`,
      'key-marker': after.nextKeyMarker,
      'upload-id-marker': after.nextUploadIdMarker,
    });
    expect(rest.uploads.map((u: { name: string }) => u.name)).toEqual([`${dir}uploads/z-other.bin`]);
  });
});

describe('plain HTTP, as browsers and other clients send it', () => {
  it('accepts a PUT carrying both Content-Length and Transfer-Encoding: chunked, reading the chunked body', async () => {
    const key = 'raw/both-headers.txt';
    const date = new Date().toUTCString();
    const sig = v1Signature(
      ROOT.accessKeySecret,
      v1StringToSign({ method: 'PUT', bucket: BUCKET, key, headers: { 'x-oss-date': date }, query: [], date }),
    );
    const chunks = ['hello ', 'chunked world'];
    const request =
      `PUT /${BUCKET}/${encodePath(key)} HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\n` +
      `x-oss-date: ${date}\r\nAuthorization: OSS ${ROOT.accessKeyId}:${sig}\r\n` +
      `Content-Length: 999\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n` +
      chunks.map((c) => `${Buffer.byteLength(c).toString(16)}\r\n${c}\r\n`).join('') +
      '0\r\n\r\n';
    const response = await new Promise<string>((resolve, reject) => {
      const socket = connect(server.port, '127.0.0.1', () => socket.end(request));
      let out = '';
      socket.on('data', (d) => (out += d.toString()));
      socket.on('end', () => resolve(out));
      socket.on('error', reject);
    });
    expect(response).toMatch(/^HTTP\/1\.1 200 /);
    const got = await signedFetch(server, 'GET', key);
    expect(await got.text()).toBe('hello chunked world');
  });

  it('names the failed copy condition as OSS does', async () => {
    const put = await signedFetch(server, 'PUT', 'raw/src.txt', { body: 'src' });
    const etag = put.headers.get('etag')!;
    const cases: Array<[Record<string, string>, string]> = [
      [{ 'x-oss-copy-source-if-match': '"0"' }, 'If-Match'],
      [{ 'x-oss-copy-source-if-none-match': etag }, 'If-None-Match'],
      [{ 'x-oss-copy-source-if-modified-since': new Date(Date.now() + 3_600_000).toUTCString() }, 'If-Modified-Since'],
      [
        { 'x-oss-copy-source-if-unmodified-since': new Date(Date.now() - 3_600_000).toUTCString() },
        'If-Unmodified-Since',
      ],
    ];
    for (const [headers, condition] of cases) {
      for (const query of [[], [['partNumber', '1'] as [string, string]]]) {
        const uploadQuery: Array<[string, string]> = [];
        if (query.length > 0) {
          const init = await signedFetch(server, 'POST', 'raw/dst.txt', { query: [['uploads', '']] });
          uploadQuery.push(['partNumber', '1'], ['uploadId', xmlField(await init.text(), 'UploadId')!]);
        }
        const res = await signedFetch(server, 'PUT', 'raw/dst.txt', {
          query: uploadQuery,
          headers: { 'x-oss-copy-source': `/${BUCKET}/raw/src.txt`, ...headers },
        });
        const body = await res.text();
        expect(res.status).toBe(412);
        expect(xmlField(body, 'Code')).toBe('PreconditionFailed');
        expect(xmlField(body, 'Message')).toBe('At least one of the pre-conditions you specified did not hold.');
        expect(xmlField(body, 'Condition')).toBe(condition);
      }
    }
  });
});

describe.each(modes)('PostObject forms, $name signatures', ({ v4 }) => {
  /** Signs `conditions` the way ali-oss does for this signature version; returns the signing fields. */
  function sign(conditions: unknown[]): Record<string, string> {
    const client = aliClient(server, { v4 });
    const expiration = new Date(Date.now() + 600_000).toISOString();
    if (!v4) {
      const signed = client.calculatePostSignature({ expiration, conditions });
      return { OSSAccessKeyId: signed.OSSAccessKeyId, policy: signed.policy, Signature: signed.Signature };
    }
    const date = new Date();
    const day = date
      .toISOString()
      .replace(/[-:]/g, '')
      .replace(/\.\d{3}/, '');
    const credential = `${ROOT.accessKeyId}/${day.slice(0, 8)}/cn-hangzhou/oss/aliyun_v4_request`;
    const policy = {
      expiration,
      conditions: [
        ...conditions,
        { 'x-oss-credential': credential },
        { 'x-oss-date': day },
        { 'x-oss-signature-version': 'OSS4-HMAC-SHA256' },
      ],
    };
    return {
      policy: Buffer.from(JSON.stringify(policy)).toString('base64'),
      'x-oss-signature-version': 'OSS4-HMAC-SHA256',
      'x-oss-credential': credential,
      'x-oss-date': day,
      'x-oss-signature': client.signPostObjectPolicyV4(policy, date),
    };
  }

  /** Posts fields in the given order, then the file: a Blob part, or a plain field as FormData.append('file', text). */
  async function post(fields: Array<[string, string]>, file: string | Blob): Promise<Response> {
    const form = new FormData();
    for (const [k, v] of fields) form.append(k, v);
    if (typeof file === 'string') form.append('file', file);
    else form.append('file', file, 'upload.txt');
    return fetch(`${server.url}/${BUCKET}/`, { method: 'POST', body: form });
  }

  const prefix = v4 ? 'form-v4/' : 'form-v1/';

  it('takes a plain `file` field as the object content', async () => {
    const key = `${prefix}plain.txt`;
    const res = await post([['key', key], ...Object.entries(sign([{ bucket: BUCKET }]))], 'text from a plain field');
    expect(res.status).toBe(204);
    expect(Buffer.from((await aliClient(server).get(key)).content).toString()).toBe('text from a plain field');
  });

  it('checks eq, starts-with, in, not-in, content-length-range and exact-match conditions on any field', async () => {
    const conditions = [
      { bucket: BUCKET },
      ['eq', '$key', `${prefix}all.txt`],
      ['starts-with', '$x-oss-meta-team', 'flink'],
      ['in', '$content-type', ['text/plain', 'application/java-archive']],
      ['not-in', '$cache-control', ['no-store']],
      ['content-length-range', 1, 10],
      { 'Cache-Control': 'max-age=60' },
      { success_action_status: '201' },
      ['eq', '$Content-Type', 'text/plain'],
    ];
    const signing = Object.entries(sign(conditions));
    const base: Array<[string, string]> = [
      ['key', `${prefix}all.txt`],
      ['x-oss-meta-team', 'flink-ops'],
      ['Content-Type', 'text/plain'],
      ['Cache-Control', 'max-age=60'],
      ...signing,
      // Sent after the policy and signature fields, as browsers' forms often do.
      ['success_action_status', '201'],
    ];
    const ok = await post(base, new Blob(['0123456789']));
    expect(ok.status).toBe(201);
    const head = await aliClient(server).head(`${prefix}all.txt`);
    expect(head.res.headers['cache-control']).toBe('max-age=60');
    expect(head.res.headers['content-type']).toBe('text/plain');

    const change = (name: string, value: string): Array<[string, string]> =>
      base.map(([k, v]) => [k, k === name ? value : v]);
    for (const fields of [
      change('key', `${prefix}other.txt`),
      change('x-oss-meta-team', 'spark'),
      change('Content-Type', 'application/java-archive'),
      change('Cache-Control', 'no-store'),
      change('success_action_status', '200'),
    ]) {
      const res = await post(fields, new Blob(['0123456789']));
      expect(res.status).toBe(403);
      expect(xmlField(await res.text(), 'Code')).toBe('AccessDenied');
    }
    const tooBig = await post(base, new Blob(['01234567890']));
    expect(tooBig.status).toBe(400);
    expect(xmlField(await tooBig.text(), 'Code')).toBe('EntityTooLarge');
    const empty = await post(base, '');
    expect(empty.status).toBe(400);
    expect(xmlField(await empty.text(), 'Code')).toBe('EntityTooSmall');
  });
});
