import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mintTemporaryCredentials, type RunningOssServer } from '../../../local/oss';
import { signPostPolicy } from '../../../shared/storage/signing';
import { aliClient, BUCKET, failure, ROOT, startTestServer, xmlField } from './helpers';

let server: RunningOssServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

/** Posts a browser-style form: fields in order, the file last. */
async function post(fields: Record<string, string>, file: Buffer | string, filename = 'upload.txt'): Promise<Response> {
  const form = new FormData();
  for (const [k, v] of Object.entries(fields)) form.append(k, v);
  form.append('file', new Blob([Buffer.from(file)]), filename);
  return fetch(`${server.url}/${BUCKET}/`, { method: 'POST', body: form });
}

async function content(key: string): Promise<string> {
  return String((await aliClient(server).get(key)).content);
}

describe('PostObject (docs/oss-protocol.md §3)', () => {
  it('accepts a V1 form signed by ali-oss calculatePostSignature, answering 204 by default and 200 on request', async () => {
    const client = aliClient(server);
    const policy = {
      expiration: new Date(Date.now() + 600_000).toISOString(),
      conditions: [{ bucket: BUCKET }, ['starts-with', '$key', 'post/'], ['content-length-range', 1, 100]],
    };
    const signed = client.calculatePostSignature(policy);
    const res = await post(
      {
        key: 'post/v1 表单.txt',
        OSSAccessKeyId: signed.OSSAccessKeyId,
        policy: signed.policy,
        Signature: signed.Signature,
        'x-oss-meta-from': 'form',
      },
      'from a form',
    );
    expect(res.status).toBe(204);
    expect(res.headers.get('etag')).toMatch(/^"[0-9A-F]{32}"$/);
    expect(await content('post/v1 表单.txt')).toBe('from a form');
    expect((await client.head('post/v1 表单.txt')).meta).toEqual({ from: 'form' });
    const ok200 = await post(
      {
        key: 'post/200.txt',
        OSSAccessKeyId: signed.OSSAccessKeyId,
        policy: signed.policy,
        Signature: signed.Signature,
        success_action_status: '200',
      },
      'x',
    );
    expect(ok200.status).toBe(200);
    const ok201 = await post(
      {
        key: 'post/201.txt',
        OSSAccessKeyId: signed.OSSAccessKeyId,
        policy: signed.policy,
        Signature: signed.Signature,
        success_action_status: '201',
      },
      'x',
    );
    expect(ok201.status).toBe(201);
    expect(xmlField(await ok201.text(), 'Key')).toBe('post/201.txt');
  });

  it('accepts a V4 form signed by ali-oss signPostObjectPolicyV4 with the upstream test conditions', async () => {
    const client = aliClient(server, { v4: true });
    const date = new Date();
    const formattedDate = date
      .toISOString()
      .replace(/[-:]/g, '')
      .replace(/\.\d{3}/, '');
    const credential = `${ROOT.accessKeyId}/${formattedDate.slice(0, 8)}/cn-hangzhou/oss/aliyun_v4_request`;
    const policy = {
      expiration: new Date(Date.now() + 600_000).toISOString(),
      conditions: [
        { bucket: BUCKET },
        { 'x-oss-credential': credential },
        { 'x-oss-date': formattedDate },
        { 'x-oss-signature-version': 'OSS4-HMAC-SHA256' },
        ['content-length-range', 1, 10],
        ['eq', '$success_action_status', '200'],
        ['starts-with', '$key', 'testPostObject'],
        ['in', '$content-type', ['image/jpg', 'text/plain']],
        ['not-in', '$cache-control', ['no-cache']],
      ],
    };
    const signature = client.signPostObjectPolicyV4(policy, date);
    const fields = {
      key: 'testPostObject/v4.txt',
      'Content-Type': 'text/plain',
      'Cache-Control': 'max-age=60',
      success_action_status: '200',
      'x-oss-signature-version': 'OSS4-HMAC-SHA256',
      'x-oss-credential': credential,
      'x-oss-date': formattedDate,
      'x-oss-signature': signature,
      policy: Buffer.from(JSON.stringify(policy)).toString('base64'),
    };
    const res = await post(fields, 'v4 form');
    expect(res.status).toBe(200);
    expect(await content('testPostObject/v4.txt')).toBe('v4 form');
    const wrongType = await post({ ...fields, 'Content-Type': 'text/html' }, 'v4 form');
    expect(wrongType.status).toBe(403);
    expect(xmlField(await wrongType.text(), 'Code')).toBe('AccessDenied');
  });

  it('accepts forms from shared/storage/signing signPostPolicy, V1 and V4, with and without STS', async () => {
    for (const version of ['v1', 'v4'] as const) {
      for (const credentials of [ROOT, mintTemporaryCredentials(ROOT, 600)]) {
        const key = `post/pack-${version}-${credentials === ROOT ? 'root' : 'sts'}.jar`;
        const signed = signPostPolicy({
          bucket: BUCKET,
          key,
          credentials,
          region: 'cn-hangzhou',
          version,
          now: new Date(),
          expiresSeconds: 600,
          contentLength: { min: 1, max: 1024 },
          fields: { 'Content-Type': 'application/java-archive', 'x-oss-forbid-overwrite': 'true' },
        });
        const res = await post(signed.fields, 'PK jar bytes', 'job.jar');
        expect(res.status).toBe(204);
        expect(await content(key)).toBe('PK jar bytes');
        // x-oss-forbid-overwrite in the form applies too.
        const again = await post(signed.fields, 'PK other', 'job.jar');
        expect(again.status).toBe(409);
        expect(xmlField(await again.text(), 'Code')).toBe('FileAlreadyExists');
      }
    }
  });

  it('refuses a file over (or under) the content-length-range, an expired policy and a bad signature', async () => {
    const sign = (min: number, max: number, expiresSeconds = 600, now = new Date()) =>
      signPostPolicy({
        bucket: BUCKET,
        key: 'post/limited.bin',
        credentials: ROOT,
        region: 'cn-hangzhou',
        version: 'v4',
        now,
        expiresSeconds,
        contentLength: { min, max },
      });
    const tooBig = await post(sign(1, 1000).fields, Buffer.alloc(1001, 1));
    expect(tooBig.status).toBe(400);
    expect(xmlField(await tooBig.text(), 'Code')).toBe('EntityTooLarge');
    const big = await post(sign(1, 100_000).fields, Buffer.alloc(2_000_000, 1));
    expect(xmlField(await big.text(), 'Code')).toBe('EntityTooLarge');
    const tooSmall = await post(sign(10, 1000).fields, 'tiny');
    expect(xmlField(await tooSmall.text(), 'Code')).toBe('EntityTooSmall');
    // Nothing of the refused uploads was stored.
    expect(await failure(aliClient(server).get('post/limited.bin'))).toMatchObject({ code: 'NoSuchKey' });
    const expired = await post(sign(1, 1000, 60, new Date(Date.now() - 3600_000)).fields, 'x');
    expect(expired.status).toBe(403);
    const forged = { ...sign(1, 1000).fields, 'x-oss-signature': '0'.repeat(64) };
    const bad = await post(forged, 'x');
    expect(bad.status).toBe(403);
    expect(xmlField(await bad.text(), 'Code')).toBe('SignatureDoesNotMatch');
    const otherKey = await post({ ...sign(1, 1000).fields, key: 'post/elsewhere.bin' }, 'x');
    expect(otherKey.status).toBe(403);
  });

  it('ignores fields no condition mentions, refuses an eq condition on a missing field and pins the ACL with eq', async () => {
    const sign = (key: string, fields: Record<string, string>) =>
      signPostPolicy({
        bucket: BUCKET,
        key,
        credentials: ROOT,
        region: 'cn-hangzhou',
        version: 'v4',
        now: new Date(),
        expiresSeconds: 600,
        contentLength: { min: 1, max: 100 },
        fields,
      }).fields;
    // As on OSS, an unmentioned field is applied, not refused: the protection must come from conditions.
    const loose = await post({ ...sign('post/loose.txt', {}), 'x-oss-object-acl': 'public-read' }, 'open');
    expect(loose.status).toBe(204);
    expect((await fetch(`${server.url}/${BUCKET}/post/loose.txt`)).status).toBe(200);
    // A field a condition names must be in the form (OSS EC 0006-00000226), not read as empty.
    const pinned = sign('post/pinned.txt', { 'x-oss-object-acl': 'default', 'Cache-Control': '' });
    const { 'Cache-Control': _dropped, ...withoutCacheControl } = pinned;
    const missing = await post(withoutCacheControl, 'x');
    expect(missing.status).toBe(403);
    expect(xmlField(await missing.text(), 'Code')).toBe('AccessDenied');
    const changed = await post({ ...pinned, 'x-oss-object-acl': 'public-read' }, 'x');
    expect(changed.status).toBe(403);
    expect(xmlField(await changed.text(), 'Message')).toContain('x-oss-object-acl');
    expect((await post(pinned, 'kept private')).status).toBe(204);
    expect((await fetch(`${server.url}/${BUCKET}/post/pinned.txt`)).status).toBe(403);
  });

  it('refuses malformed forms with OSS errors', async () => {
    const notForm = await fetch(`${server.url}/${BUCKET}/`, {
      method: 'POST',
      body: Buffer.from('x'),
      headers: { 'content-type': 'application/octet-stream' },
    });
    expect(xmlField(await notForm.text(), 'Code')).toBe('RequestIsNotMultiPartContent');
    const noFile = new FormData();
    noFile.append('key', 'post/nofile');
    const res = await fetch(`${server.url}/${BUCKET}/`, { method: 'POST', body: noFile });
    expect(res.status).toBe(400);
    expect(xmlField(await res.text(), 'Code')).toBe('IncorrectNumberOfFilesInPOSTRequest');
    const garbage = await fetch(`${server.url}/${BUCKET}/`, {
      method: 'POST',
      body: Buffer.from('--x\r\nnonsense'),
      headers: { 'content-type': 'multipart/form-data; boundary=x' },
    });
    expect(garbage.status).toBe(400);
    const anonymous = await post({ key: 'post/anon.txt' }, 'x');
    expect(anonymous.status).toBe(403);
    const half = await post({ key: 'post/half.txt', OSSAccessKeyId: ROOT.accessKeyId }, 'x');
    expect(xmlField(await half.text(), 'Code')).toBe('InvalidArgument');
  });
});
