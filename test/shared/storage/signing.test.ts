import { createHmac } from 'node:crypto';
import { createRequire } from 'node:module';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  presignQuery,
  presignQueryString,
  signPostPolicy,
  v1Signature,
  v1StringToSign,
  v4CanonicalQuery,
  v4CanonicalRequest,
  v4Scope,
  v4Signature,
  v4SigningKey,
  v4StringToSign,
} from '../../../shared/storage/signing';

const require = createRequire(import.meta.url);
// ali-oss's own signing helpers: an independent implementation to compare against.
const aliSign = require('ali-oss/lib/common/signUtils.js') as {
  buildCanonicalString(
    method: string,
    resource: string,
    request: { headers: object; parameters?: object },
    expires?: string,
  ): string;
  getCanonicalRequest(
    method: string,
    request: { headers: object; queries: object },
    bucket: string,
    key: string,
    additional: string[],
  ): string;
};

describe('V1 signing: known answers from the Python SDK v2 test suite (docs/oss-protocol.md §1.2)', () => {
  const headers = {
    'content-md5': 'eB5eJF1ptWaXm4bijSPyxw==',
    'content-type': 'text/html',
    'x-oss-date': 'Wed, 28 Dec 2022 10:27:41 GMT',
    'x-oss-meta-author': 'alice',
    'x-oss-meta-magic': 'abracadabra',
  };

  it('signs a PUT with x-oss headers', () => {
    const sts = v1StringToSign({
      method: 'PUT',
      bucket: 'examplebucket',
      key: 'nelson',
      headers,
      query: [],
      date: headers['x-oss-date'],
    });
    expect(v1Signature('sk', sts)).toBe('kSHKmLxlyEAKtZPkJhG9bZb5k7M=');
  });

  it('signs a sub-resource and ignores parameters that are not sub-resources', () => {
    const query: Array<[string, string]> = [
      ['acl', ''],
      ['prefix', 'x'],
      ['max-keys', '10'],
    ];
    const sts = v1StringToSign({
      method: 'PUT',
      bucket: 'examplebucket',
      key: 'nelson',
      headers,
      query,
      date: headers['x-oss-date'],
    });
    expect(v1Signature('sk', sts)).toBe('/afkugFbmWDQ967j1vr6zygBLQk=');
  });

  it('presigns a GET with versionId', () => {
    const sts = v1StringToSign({
      method: 'GET',
      bucket: 'bucket',
      key: 'key',
      headers: {},
      query: [['versionId', 'versionId']],
      date: '1699807420',
    });
    expect(v1Signature('sk', sts)).toBe('dcLTea+Yh9ApirQ8o8dOPqtvJXQ=');
  });

  it('presigns with an STS token as a sub-resource', () => {
    const q = presignQuery({
      method: 'GET',
      bucket: 'bucket',
      key: 'key+123',
      credentials: { accessKeyId: 'ak', accessKeySecret: 'sk', securityToken: 'token' },
      region: 'cn-hangzhou',
      version: 'v1',
      now: new Date((1699808204 - 60) * 1000),
      expiresSeconds: 60,
      query: [['versionId', 'versionId']],
    });
    expect(Object.fromEntries(q)).toMatchObject({
      Expires: '1699808204',
      Signature: 'jzKYRrM5y6Br0dRFPaTGOsbrDhY=',
      'security-token': 'token',
    });
  });
});

describe('V4 signing: known answers from the Python SDK v2 test suite (docs/oss-protocol.md §2.2)', () => {
  const headers = {
    'x-oss-head1': 'value',
    abc: 'value',
    zabc: 'value',
    xyz: 'value',
    'content-type': 'text/plain',
    'x-oss-content-sha256': 'UNSIGNED-PAYLOAD',
  };
  const query: Array<[string, string]> = [
    ['param1', 'value1'],
    ['+param1', 'value3'],
    ['|param1', 'value4'],
    ['+param2', ''],
    ['|param2', ''],
    ['param2', ''],
  ];

  function sign(timestamp: string, additionalHeaders: string[]): string {
    const canonical = v4CanonicalRequest({
      method: 'PUT',
      bucket: 'bucket',
      key: '1234+-/123/1.txt',
      headers: { ...headers, 'x-oss-date': timestamp },
      query,
      additionalHeaders,
    });
    const day = timestamp.slice(0, 8);
    return v4Signature(
      v4SigningKey('sk', day, 'cn-hangzhou'),
      v4StringToSign(timestamp, v4Scope(day, 'cn-hangzhou'), canonical),
    );
  }

  it('builds the documented canonical request', () => {
    const canonical = v4CanonicalRequest({
      method: 'PUT',
      bucket: 'bucket',
      key: '1234+-/123/1.txt',
      headers: { ...headers, 'x-oss-date': '20231216T162057Z' },
      query,
      additionalHeaders: [],
    });
    expect(canonical).toBe(
      'PUT\n/bucket/1234%2B-/123/1.txt\n%2Bparam1=value3&%2Bparam2&%7Cparam1=value4&%7Cparam2&param1=value1&param2\n' +
        'content-type:text/plain\nx-oss-content-sha256:UNSIGNED-PAYLOAD\nx-oss-date:20231216T162057Z\nx-oss-head1:value\n\n\nUNSIGNED-PAYLOAD',
    );
  });

  it('signs the header form', () => {
    expect(sign('20231216T162057Z', [])).toBe('e21d18daa82167720f9b1047ae7e7f1ce7cb77a31e8203a7d5f4624fa0284afe');
  });

  it('signs with AdditionalHeaders', () => {
    expect(sign('20231216T172512Z', ['abc', 'zabc'])).toBe(
      '4a4183c187c07c8947db7620deb0a6b38d9fbdd34187b6dbaccb316fa251212f',
    );
  });

  it('presigns a URL', () => {
    const base = {
      method: 'PUT',
      bucket: 'bucket',
      key: '1234+-/123/1.txt',
      credentials: { accessKeyId: 'ak', accessKeySecret: 'sk' },
      region: 'cn-hangzhou',
      version: 'v4' as const,
      now: new Date(Date.UTC(2023, 11, 17, 2, 54, 37)),
      expiresSeconds: 599,
      query,
    };
    const q = presignQuery({
      ...base,
      headers: { 'content-type': 'application/octet-stream', 'x-oss-head1': 'value' },
    });
    const params = Object.fromEntries(q);
    expect(params['x-oss-signature']).toBe('a39966c61718be0d5b14e668088b3fa07601033f6518ac7b523100014269c0fe');
    expect(params['x-oss-credential']).toBe('ak/20231217/cn-hangzhou/oss/aliyun_v4_request');
    expect(params['x-oss-date']).toBe('20231217T025437Z');
    expect(params['x-oss-expires']).toBe('599');
    expect(q.at(-1)?.[0]).toBe('x-oss-signature');

    const bound = Object.fromEntries(
      presignQuery({
        ...base,
        headers: { 'content-type': 'application/octet-stream', abc: 'value', zabc: 'value' },
        additionalHeaders: ['zabc', 'abc'],
      }),
    );
    expect(bound['x-oss-additional-headers']).toBe('abc;zabc');
    expect(() => presignQuery({ ...base, additionalHeaders: ['content-length'] })).toThrowError(/need a value/);
  });
});

// Keys and values drawn from the characters users put in artifact names and that encoding gets wrong.
const tricky = fc.string({
  unit: fc.constantFrom(..."aZ09-_.~ +%#?&=/!'()*中文ü".split('')),
  minLength: 1,
  maxLength: 12,
});

describe('signing agrees with ali-oss on arbitrary input', () => {
  it('V4 canonical request equals ali-oss getCanonicalRequest', () => {
    fc.assert(
      fc.property(
        tricky.filter((k) => !k.startsWith('/')),
        fc.dictionary(fc.stringMatching(/^[a-z][a-z0-9-]{0,8}$/), tricky, { maxKeys: 4 }),
        fc.dictionary(fc.stringMatching(/^x-oss-meta-[a-z]{1,6}$/), fc.stringMatching(/^[ -~]{1,10}$/), { maxKeys: 3 }),
        (key, queries, headers) => {
          const ours = v4CanonicalRequest({
            method: 'GET',
            bucket: 'bkt',
            key,
            headers,
            query: Object.entries(queries),
            additionalHeaders: [],
          });
          const theirs = aliSign.getCanonicalRequest('GET', { headers, queries }, 'bkt', key, []);
          expect(ours).toBe(theirs);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('presignQueryString (fast path) signs exactly what presignQuery does', () => {
    fc.assert(
      fc.property(
        fc.dictionary(fc.stringMatching(/^[A-Za-z+|][a-z0-9-]{0,8}$/), tricky, { maxKeys: 3 }),
        fc.option(fc.string({ minLength: 1, maxLength: 40 }), { nil: undefined }),
        fc.boolean(),
        (extras, token, bind) => {
          const req = {
            method: 'PUT',
            bucket: 'bkt',
            key: 'a/b c.jar',
            credentials: {
              accessKeyId: 'STS.ak',
              accessKeySecret: 'sk',
              ...(token !== undefined && { securityToken: token }),
            },
            region: 'cn-hangzhou',
            version: 'v4' as const,
            now: new Date(Date.UTC(2026, 10, 22)),
            expiresSeconds: 60,
            headers: { 'content-length': '5', 'content-type': 'x/y' },
            query: Object.entries(extras),
            ...(bind && { additionalHeaders: ['content-length'] }),
          };
          const pairs = presignQuery(req);
          const fast = presignQueryString(req);
          const signature = pairs.at(-1)![1];
          expect(fast).toBe(`${v4CanonicalQuery(pairs)}&x-oss-signature=${signature}`);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('V1 string to sign equals ali-oss buildCanonicalString', () => {
    fc.assert(
      fc.property(
        tricky,
        fc.dictionary(fc.stringMatching(/^x-oss-meta-[a-z]{1,6}$/), fc.stringMatching(/^[!-~]{1,10}$/), { maxKeys: 3 }),
        fc.constantFrom<Record<string, string>>({}, { acl: '' }, { uploadId: 'ABC', partNumber: '3' }),
        (key, meta, sub) => {
          const headers = { 'content-type': 'text/plain', 'x-oss-date': 'Sun, 22 Nov 2026 01:32:24 GMT', ...meta };
          const ours = v1StringToSign({
            method: 'PUT',
            bucket: 'bkt',
            key,
            headers,
            query: Object.entries(sub),
            date: headers['x-oss-date'],
          });
          const aliParams = Object.fromEntries(Object.entries(sub).map(([k, v]) => [k, v === '' ? null : v]));
          const theirs = aliSign.buildCanonicalString('PUT', `/bkt/${key}`, { headers, parameters: aliParams });
          expect(ours).toBe(theirs);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('PostObject policy', () => {
  const base = {
    bucket: 'bkt',
    key: 'artifacts/namespaces/a/x.jar',
    credentials: { accessKeyId: 'ak', accessKeySecret: 'sk' },
    region: 'cn-hangzhou',
    now: new Date(Date.UTC(2026, 10, 22, 1, 0, 0)),
    expiresSeconds: 600,
    contentLength: { min: 1, max: 1000 },
    fields: { 'x-oss-forbid-overwrite': 'true' },
  };

  it('pins the key, the size range and every field (V4)', () => {
    const { fields, expiresAt } = signPostPolicy({ ...base, version: 'v4' });
    const policy = JSON.parse(Buffer.from(fields.policy!, 'base64').toString('utf8'));
    expect(policy.expiration).toBe('2026-11-22T01:10:00.000Z');
    expect(expiresAt.toISOString()).toBe(policy.expiration);
    expect(policy.conditions).toEqual(
      expect.arrayContaining([
        { bucket: 'bkt' },
        ['eq', '$key', base.key],
        ['content-length-range', 1, 1000],
        ['eq', '$x-oss-forbid-overwrite', 'true'],
        { 'x-oss-date': '20261122T010000Z' },
      ]),
    );
    // The V4 key derivation written out here (docs/oss-protocol.md §2.2), not taken from the module under test.
    const hmac = (key: string | Buffer, data: string) => createHmac('sha256', key).update(data).digest();
    const signingKey = hmac(hmac(hmac(hmac('aliyun_v4sk', '20261122'), 'cn-hangzhou'), 'oss'), 'aliyun_v4_request');
    expect(fields['x-oss-signature']).toBe(createHmac('sha256', signingKey).update(fields.policy!).digest('hex'));
    expect(fields['x-oss-credential']).toBe('ak/20261122/cn-hangzhou/oss/aliyun_v4_request');
  });

  it('signs V1 with HMAC-SHA1 of the base64 policy and carries the STS token', () => {
    const { fields } = signPostPolicy({
      ...base,
      version: 'v1',
      credentials: { ...base.credentials, securityToken: 'tok' },
    });
    expect(fields.Signature).toBe(createHmac('sha1', 'sk').update(fields.policy!).digest('base64'));
    const policy = JSON.parse(Buffer.from(fields.policy!, 'base64').toString('utf8'));
    expect(policy.conditions).toContainEqual({ 'x-oss-security-token': 'tok' });
    expect(fields['x-oss-security-token']).toBe('tok');
    expect(fields.OSSAccessKeyId).toBe('ak');
  });
});
