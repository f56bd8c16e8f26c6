import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { readAuthClaim, type SignedRequest } from '../../../local/oss/auth/claim';
import { verifyRequest } from '../../../local/oss/auth/verify';
import { buildPayload, eventNameMatches, subscriptionMatches } from '../../../local/oss/events';
import { checkPostConditions, decodePostPolicy } from '../../../local/oss/post-policy';
import { checkTemporaryCredentials, mintTemporaryCredentials } from '../../../local/oss/sts';
import { presignQuery, signPostPolicy } from '../../../shared/storage/signing';

const require = createRequire(import.meta.url);
const root = { accessKeyId: 'root-ak', accessKeySecret: 'root secret' };
const keys = [root];
const now = new Date('2026-03-01T10:00:00Z');
const target = { bucket: 'bkt', key: 'a b/中.txt', style: 'path' as const };

function fromQuery(
  method: string,
  query: Array<[string, string]>,
  headers: Record<string, string> = {},
): SignedRequest {
  return { method, headers, query, emptyWithEquals: new Set() };
}

describe('STS credentials minted statelessly from the root key', () => {
  it('are accepted with their token until expiry, by any holder of the root key', () => {
    const creds = mintTemporaryCredentials(root, 3600, now);
    expect(creds.accessKeyId).toMatch(/^STS\./);
    expect(creds.expiration).toBe('2026-03-01T11:00:00Z');
    const ok = checkTemporaryCredentials(
      creds.accessKeyId,
      creds.securityToken,
      keys,
      new Date(now.getTime() + 3599_000),
    );
    expect(ok).toMatchObject({ ok: true, accessKeySecret: creds.accessKeySecret });
    expect(
      checkTemporaryCredentials(creds.accessKeyId, creds.securityToken, keys, new Date(now.getTime() + 3600_000)),
    ).toEqual({ ok: false, reason: 'expired' });
  });
  it('are refused with another key id, a forged token or an unknown root', () => {
    const creds = mintTemporaryCredentials(root, 60, now);
    const other = mintTemporaryCredentials(root, 60, now);
    expect(checkTemporaryCredentials(other.accessKeyId, creds.securityToken, keys, now)).toEqual({
      ok: false,
      reason: 'invalid',
    });
    // The forgery keeps the genuine signature and changes only the expiry in the claims.
    const [claims, mac] = creds.securityToken.split('.');
    expect(JSON.parse(Buffer.from(claims!, 'base64url').toString())).toEqual({
      v: 1,
      r: 'root-ak',
      a: creds.accessKeyId,
      e: now.getTime() / 1000 + 60,
    });
    const forged = `${Buffer.from(JSON.stringify({ v: 1, r: 'root-ak', a: creds.accessKeyId, e: 9999999999 })).toString('base64url')}.${mac}`;
    expect(checkTemporaryCredentials(creds.accessKeyId, creds.securityToken, keys, now)).toMatchObject({ ok: true });
    expect(checkTemporaryCredentials(creds.accessKeyId, forged, keys, now)).toEqual({ ok: false, reason: 'invalid' });
    expect(
      checkTemporaryCredentials(
        creds.accessKeyId,
        creds.securityToken,
        [{ accessKeyId: 'root-ak', accessKeySecret: 'other' }],
        now,
      ),
    ).toEqual({ ok: false, reason: 'invalid' });
    expect(checkTemporaryCredentials(creds.accessKeyId, 'garbage', keys, now)).toEqual({
      ok: false,
      reason: 'invalid',
    });
  });
});

describe('request verification with the shared signing functions', () => {
  const ctx = { keys, region: 'cn-hangzhou', now };

  it('accepts presigned V1 and V4 URLs and picks the reading the signature covers', () => {
    for (const version of ['v1', 'v4'] as const) {
      const query = presignQuery({
        method: 'GET',
        bucket: 'bkt',
        key: 'a b/中.txt',
        credentials: root,
        region: 'cn-hangzhou',
        version,
        now,
        expiresSeconds: 60,
      });
      const req = fromQuery('GET', query);
      const other = { bucket: 'bkt', key: 'bkt/a b/中.txt', style: 'virtual' as const };
      expect(verifyRequest(readAuthClaim(req), req, [other, target], ctx).target).toBe(target);
    }
  });

  it('refuses expired URLs before looking at the signature, with the expiry in the error', () => {
    const query = presignQuery({
      method: 'GET',
      bucket: 'bkt',
      key: 'k',
      credentials: { ...root, accessKeySecret: 'wrong' },
      region: 'cn-hangzhou',
      version: 'v1',
      now,
      expiresSeconds: 60,
    });
    const req = fromQuery('GET', query);
    expect(() =>
      verifyRequest(readAuthClaim(req), req, [target], { ...ctx, now: new Date(now.getTime() + 61_000) }),
    ).toThrow(expect.objectContaining({ code: 'AccessDenied', message: 'Request has expired.', status: 403 }));
  });

  it('reports SignatureDoesNotMatch with the string to sign, and InvalidAccessKeyId for unknown keys', () => {
    const query = presignQuery({
      method: 'GET',
      bucket: 'bkt',
      key: 'k',
      credentials: root,
      region: 'cn-hangzhou',
      version: 'v1',
      now,
      expiresSeconds: 60,
    });
    const req = fromQuery('PUT', query);
    try {
      verifyRequest(readAuthClaim(req), req, [{ bucket: 'bkt', key: 'k', style: 'path' }], ctx);
      expect.unreachable();
    } catch (error) {
      expect(error).toMatchObject({ code: 'SignatureDoesNotMatch', status: 403 });
      const details = Object.fromEntries((error as { details: Array<[string, string]> }).details);
      expect(details.StringToSign).toMatch(/^PUT\n/);
      expect(details.OSSAccessKeyId).toBe('root-ak');
    }
    const unknown = fromQuery(
      'GET',
      presignQuery({
        method: 'GET',
        bucket: 'bkt',
        key: 'k',
        credentials: { accessKeyId: 'nobody', accessKeySecret: 'x' },
        region: 'cn-hangzhou',
        version: 'v4',
        now,
        expiresSeconds: 60,
      }),
    );
    expect(() => verifyRequest(readAuthClaim(unknown), unknown, [target], ctx)).toThrow(
      expect.objectContaining({ code: 'InvalidAccessKeyId' }),
    );
  });

  it('maps STS failures to OSS codes: no token, invalid token, expired token', () => {
    const creds = mintTemporaryCredentials(root, 60, now);
    const sign = (credentials: { accessKeyId: string; accessKeySecret: string; securityToken?: string }) =>
      fromQuery(
        'GET',
        presignQuery({
          method: 'GET',
          bucket: 'bkt',
          key: 'k',
          credentials,
          region: 'cn-hangzhou',
          version: 'v4',
          now,
          expiresSeconds: 600,
        }),
      );
    const t = [{ bucket: 'bkt', key: 'k', style: 'path' as const }];
    const noToken = sign({ accessKeyId: creds.accessKeyId, accessKeySecret: creds.accessKeySecret });
    expect(() => verifyRequest(readAuthClaim(noToken), noToken, t, ctx)).toThrow(
      expect.objectContaining({ code: 'InvalidAccessKeyId' }),
    );
    const bad = sign({ ...creds, securityToken: `${creds.securityToken}x` });
    expect(() => verifyRequest(readAuthClaim(bad), bad, t, ctx)).toThrow(
      expect.objectContaining({ code: 'InvalidSecurityToken' }),
    );
    const good = sign(creds);
    expect(verifyRequest(readAuthClaim(good), good, t, ctx).principal).toEqual({
      accessKeyId: creds.accessKeyId,
      temporary: true,
    });
    expect(() =>
      verifyRequest(readAuthClaim(good), good, t, { ...ctx, now: new Date(now.getTime() + 120_000) }),
    ).toThrow(expect.objectContaining({ code: 'SecurityTokenExpired' }));
  });

  it('refuses V1 headers signed too long ago, and mixed header and query credentials', () => {
    const req: SignedRequest = {
      method: 'GET',
      headers: { authorization: 'OSS root-ak:abc', 'x-oss-date': 'Sun, 01 Mar 2026 09:00:00 GMT' },
      query: [],
      emptyWithEquals: new Set(),
    };
    expect(() => verifyRequest(readAuthClaim(req), req, [target], ctx)).toThrow(
      expect.objectContaining({ code: 'RequestTimeTooSkewed' }),
    );
    const mixed: SignedRequest = { ...req, query: [['Signature', 'x']] };
    expect(() => readAuthClaim(mixed)).toThrow(expect.objectContaining({ code: 'InvalidArgument' }));
    expect(readAuthClaim({ method: 'GET', headers: {}, query: [], emptyWithEquals: new Set() })).toEqual({
      kind: 'anonymous',
    });
  });
});

describe('empty query values under V4', () => {
  const ctx = { keys, region: 'cn-hangzhou', now };
  const aliSign = require('ali-oss/lib/common/signUtils.js') as {
    authorizationV4(
      ak: string,
      sk: string,
      region: string,
      method: string,
      request: { headers: object; queries: object },
      bucket: string,
      key?: string,
    ): string;
  };
  const timestamp = '20260301T100000Z';
  const headers = { 'x-oss-date': timestamp, 'x-oss-content-sha256': 'UNSIGNED-PAYLOAD' };
  const listTarget = [{ bucket: 'bkt', key: '', style: 'path' as const }];

  it('verifies the OSS form (an empty value signs as a bare name)', () => {
    const query = presignQuery({
      method: 'GET',
      bucket: 'bkt',
      key: '',
      credentials: root,
      region: 'cn-hangzhou',
      version: 'v4',
      now,
      expiresSeconds: 60,
      query: [
        ['prefix', ''],
        ['uploads', ''],
      ],
    });
    // On the wire as `prefix=` or as `prefix`: both are the same canonical request.
    for (const emptyWithEquals of [new Set<string>(), new Set(['prefix', 'uploads'])]) {
      const req: SignedRequest = { method: 'GET', headers: {}, query, emptyWithEquals };
      expect(verifyRequest(readAuthClaim(req), req, listTarget, ctx).principal?.accessKeyId).toBe('root-ak');
    }
  });

  it("also verifies ali-oss's list({prefix: ''}), which signs `prefix=`, but only when the wire carried the `=`", () => {
    const authorization = aliSign.authorizationV4(
      'root-ak',
      'root secret',
      'cn-hangzhou',
      'GET',
      { headers: { ...headers }, queries: { prefix: '', 'max-keys': 10 } },
      'bkt',
    );
    const query: Array<[string, string]> = [
      ['prefix', ''],
      ['max-keys', '10'],
    ];
    const wire: SignedRequest = {
      method: 'GET',
      headers: { ...headers, authorization },
      query,
      emptyWithEquals: new Set(['prefix']),
    };
    expect(verifyRequest(readAuthClaim(wire), wire, listTarget, ctx).principal).toBeDefined();
    const bare: SignedRequest = { ...wire, emptyWithEquals: new Set() };
    expect(() => verifyRequest(readAuthClaim(bare), bare, listTarget, ctx)).toThrow(
      expect.objectContaining({ code: 'SignatureDoesNotMatch' }),
    );
    // The looser forms never rescue a wrong signature.
    const forged: SignedRequest = {
      ...wire,
      headers: { ...wire.headers, authorization: authorization.replace(/Signature=\w{4}/, 'Signature=0000') },
    };
    expect(() => verifyRequest(readAuthClaim(forged), forged, listTarget, ctx)).toThrow(
      expect.objectContaining({ code: 'SignatureDoesNotMatch' }),
    );
  });

  it('keeps sub-resources such as `uploads=` bare, as ali-oss signs them', () => {
    const authorization = aliSign.authorizationV4(
      'root-ak',
      'root secret',
      'cn-hangzhou',
      'POST',
      { headers: { ...headers }, queries: { uploads: null } },
      'bkt',
      'k',
    );
    const req: SignedRequest = {
      method: 'POST',
      headers: { ...headers, authorization },
      query: [['uploads', '']],
      emptyWithEquals: new Set(['uploads']),
    };
    expect(
      verifyRequest(readAuthClaim(req), req, [{ bucket: 'bkt', key: 'k', style: 'path' }], ctx).principal,
    ).toBeDefined();
  });
});

describe('PostObject policies (docs/oss-protocol.md §3)', () => {
  const policy = signPostPolicy({
    bucket: 'bkt',
    key: 'up/x.txt',
    credentials: root,
    region: 'cn-hangzhou',
    version: 'v4',
    now,
    expiresSeconds: 600,
    contentLength: { min: 1, max: 10 },
    fields: { 'Content-Type': 'text/plain' },
  });
  const fields = new Map(Object.entries(policy.fields).map(([k, v]) => [k.toLowerCase(), v]));

  it('checks conditions and returns the size range', () => {
    const doc = decodePostPolicy(policy.fields.policy!, now);
    expect(checkPostConditions(doc, fields, 'bkt')).toEqual({ min: 1, max: 10 });
    expect(() => checkPostConditions(doc, new Map([...fields, ['key', 'other']]), 'bkt')).toThrow(
      expect.objectContaining({ code: 'AccessDenied' }),
    );
    expect(() => checkPostConditions(doc, fields, 'other-bucket')).toThrow(
      expect.objectContaining({ code: 'AccessDenied' }),
    );
  });

  it('supports starts-with, in and not-in and refuses expired or malformed policies', () => {
    const encode = (doc: unknown) => Buffer.from(JSON.stringify(doc)).toString('base64');
    const doc = decodePostPolicy(
      encode({
        expiration: '2026-03-01T11:00:00.000Z',
        conditions: [
          ['starts-with', '$key', 'user/'],
          ['in', '$content-type', ['image/jpg', 'text/plain']],
          ['not-in', '$cache-control', ['no-cache']],
        ],
      }),
      now,
    );
    const f = (o: Record<string, string>) => new Map(Object.entries(o));
    expect(checkPostConditions(doc, f({ key: 'user/a', 'content-type': 'text/plain' }), 'b')).toEqual({
      min: 0,
      max: Number.MAX_SAFE_INTEGER,
    });
    expect(() => checkPostConditions(doc, f({ key: 'other/a', 'content-type': 'text/plain' }), 'b')).toThrow(
      expect.objectContaining({ code: 'AccessDenied' }),
    );
    expect(() => checkPostConditions(doc, f({ key: 'user/a', 'content-type': 'text/html' }), 'b')).toThrow(
      expect.objectContaining({ code: 'AccessDenied' }),
    );
    expect(() =>
      checkPostConditions(doc, f({ key: 'user/a', 'content-type': 'text/plain', 'cache-control': 'no-cache' }), 'b'),
    ).toThrow(expect.objectContaining({ code: 'AccessDenied' }));
    expect(() => decodePostPolicy(encode({ expiration: '2026-03-01T09:00:00.000Z', conditions: [] }), now)).toThrow(
      expect.objectContaining({ code: 'AccessDenied' }),
    );
    expect(() => decodePostPolicy(encode({ conditions: [] }), now)).toThrow(
      expect.objectContaining({ code: 'InvalidPolicyDocument' }),
    );
    expect(() => decodePostPolicy('!!!', now)).toThrow(expect.objectContaining({ code: 'InvalidPolicyDocument' }));
    const weird = decodePostPolicy(
      encode({ expiration: '2026-03-01T11:00:00.000Z', conditions: [['glob', '$key', '*']] }),
      now,
    );
    expect(() => checkPostConditions(weird, f({}), 'b')).toThrow(
      expect.objectContaining({ code: 'InvalidPolicyDocument' }),
    );
  });
});

describe('event matching and payloads (docs/fc-runtime.md §2)', () => {
  it('matches trigger event names with wildcards, and prefix/suffix filters', () => {
    expect(eventNameMatches('oss:ObjectCreated:*', 'ObjectCreated:PutObject')).toBe(true);
    expect(eventNameMatches('oss:ObjectCreated:*', 'ObjectRemoved:DeleteObject')).toBe(false);
    expect(eventNameMatches('oss:ObjectRemoved:DeleteObject', 'ObjectRemoved:DeleteObjects')).toBe(false);
    const sub = { bucket: 'b', events: ['oss:ObjectCreated:PutObject'], prefix: 'artifacts/', suffix: '.jar' };
    expect(
      subscriptionMatches(sub, { bucket: 'b', eventName: 'ObjectCreated:PutObject', key: 'artifacts/x.jar' }),
    ).toBe(true);
    expect(
      subscriptionMatches(sub, { bucket: 'b', eventName: 'ObjectCreated:PutObject', key: 'artifacts/x.zip' }),
    ).toBe(false);
    expect(
      subscriptionMatches(sub, { bucket: 'c', eventName: 'ObjectCreated:PutObject', key: 'artifacts/x.jar' }),
    ).toBe(false);
  });
  it('builds the FC OSS trigger payload field for field', () => {
    const payload = buildPayload(
      {
        eventName: 'ObjectCreated:PutObject',
        bucket: 'testbucket',
        key: 'source/a b.png',
        eTag: '688A7BF4F233DC9C88A80BF985AB7329',
        size: 122539,
        deltaSize: 122539,
        time: new Date('2022-08-13T06:45:43Z'),
        requestId: 'RID',
        sourceIp: '140.205.1.1',
      },
      { region: 'cn-hangzhou', accountId: '1649015465570000', ruleId: 'r' },
    );
    expect(payload).toEqual({
      events: [
        {
          eventName: 'ObjectCreated:PutObject',
          eventSource: 'acs:oss',
          eventTime: '2022-08-13T06:45:43.000Z',
          eventVersion: '1.0',
          oss: {
            bucket: {
              arn: 'acs:oss:cn-hangzhou:1649015465570000:testbucket',
              name: 'testbucket',
              ownerIdentity: '1649015465570000',
              virtualBucket: '',
            },
            object: {
              deltaSize: 122539,
              eTag: '688A7BF4F233DC9C88A80BF985AB7329',
              key: 'source/a b.png',
              size: 122539,
            },
            ossSchemaVersion: '1.0',
            ruleId: 'r',
          },
          region: 'cn-hangzhou',
          requestParameters: { sourceIPAddress: '140.205.1.1' },
          responseElements: { requestId: 'RID' },
          userIdentity: { principalId: '1649015465570000' },
        },
      ],
    });
  });
});
