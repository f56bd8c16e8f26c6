import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../shared/config';
import { publicUrlBase, serviceEndpoint, UrlSigner } from '../../../shared/storage';

const require = createRequire(import.meta.url);
const OSS = require('ali-oss') as new (
  o: object,
) => {
  signatureUrlV4(method: string, expires: number, request: object, key: string, additional?: string[]): Promise<string>;
};

const base = { OSS_BUCKET: 'flink-ws', OSS_REGION: 'cn-hangzhou' };
const credentials = { accessKeyId: 'AKID', accessKeySecret: 'SECRET' };
const fixedNow = new Date('2026-11-22T01:32:24.567Z');

describe('endpoints', () => {
  it('sends the functions own traffic to the internal endpoint in FC, URLs to the public one', () => {
    const oss = loadConfig({ ...base, FC_REGION: 'cn-hangzhou' }).oss;
    expect(serviceEndpoint(oss)).toEqual({
      protocol: 'https:',
      host: 'oss-cn-hangzhou-internal.aliyuncs.com',
      style: 'virtual-hosted',
    });
    expect(publicUrlBase(oss)).toEqual({
      protocol: 'https:',
      host: 'oss-cn-hangzhou.aliyuncs.com',
      style: 'virtual-hosted',
    });
  });

  it('treats a non-aliyuncs public endpoint as a custom domain and honours acceleration', () => {
    const oss = loadConfig({ ...base, OSS_PUBLIC_ENDPOINT: 'https://files.example.com' }).oss;
    expect(publicUrlBase(oss)).toEqual({ protocol: 'https:', host: 'files.example.com', style: 'cname' });
    expect(publicUrlBase(oss, true)).toEqual({
      protocol: 'https:',
      host: 'oss-accelerate.aliyuncs.com',
      style: 'virtual-hosted',
    });
  });

  it('uses path style for local servers', () => {
    const oss = loadConfig({
      ...base,
      OSS_ENDPOINT: 'http://127.0.0.1:9100',
      OSS_PUBLIC_ENDPOINT: 'http://localhost:9100',
      OSS_PATH_STYLE: 'true',
    }).oss;
    expect(serviceEndpoint(oss).style).toBe('path');
    expect(publicUrlBase(oss)).toEqual({ protocol: 'http:', host: 'localhost:9100', style: 'path' });
  });
});

describe('UrlSigner', () => {
  it('produces the same V4 URL as ali-oss signatureUrlV4 for the same instant', async () => {
    const oss = loadConfig(base).oss;
    const signer = new UrlSigner(
      oss,
      () => credentials,
      () => fixedNow,
    );
    const key = 'artifacts/namespaces/team-a/my job+1 中文.jar';
    const ours = signer.signUrl({
      method: 'PUT',
      key,
      expiresSeconds: 900,
      headers: { 'content-type': 'application/java-archive' },
    });

    const client = new OSS({
      ...credentials,
      bucket: 'flink-ws',
      region: 'oss-cn-hangzhou',
      secure: true,
      authorizationV4: true,
    });
    const RealDate = Date;
    // ali-oss reads the clock itself; pin it to the same instant for the comparison.
    globalThis.Date = class extends RealDate {
      constructor(...args: unknown[]) {
        super(...((args.length === 0 ? [fixedNow.getTime()] : args) as [number]));
      }
    } as DateConstructor;
    let theirs: string;
    try {
      theirs = await client.signatureUrlV4(
        'PUT',
        900,
        { headers: { 'Content-Type': 'application/java-archive' } },
        key,
      );
    } finally {
      globalThis.Date = RealDate;
    }
    const a = new URL(ours.url);
    const b = new URL(theirs);
    expect(a.host).toBe(b.host);
    expect(a.pathname).toBe(b.pathname);
    expect(Object.fromEntries(a.searchParams)).toEqual(Object.fromEntries(b.searchParams));
    expect(ours.expiresAt.toISOString()).toBe('2026-11-22T01:47:24.000Z');
  });

  it('binds the declared size under V4 and lists the headers to send', () => {
    const signer = new UrlSigner(
      loadConfig(base).oss,
      () => credentials,
      () => fixedNow,
    );
    const signed = signer.signUrl({
      method: 'PUT',
      key: 'k.jar',
      expiresSeconds: 60,
      headers: { 'x-oss-forbid-overwrite': 'true' },
      bindHeaders: { 'content-length': '5' },
    });
    expect(new URL(signed.url).searchParams.get('x-oss-additional-headers')).toBe('content-length');
    expect(signed.headers).toEqual({ 'x-oss-forbid-overwrite': 'true' });
  });

  it('signs V1 URLs with an absolute Expires and an STS token', () => {
    const oss = loadConfig({ ...base, OSS_SIGNATURE_VERSION: 'v1' }).oss;
    const signer = new UrlSigner(
      oss,
      () => ({ ...credentials, securityToken: 'TOKEN' }),
      () => fixedNow,
    );
    const params = new URL(signer.signUrl({ method: 'GET', key: 'a b.jar', expiresSeconds: 300 }).url).searchParams;
    expect(params.get('Expires')).toBe(String(Math.floor(fixedNow.getTime() / 1000) + 300));
    expect(params.get('security-token')).toBe('TOKEN');
    expect(params.get('OSSAccessKeyId')).toBe('AKID');
  });

  it('posts forms to the bucket root on the public endpoint', () => {
    const signer = new UrlSigner(
      loadConfig(base).oss,
      () => credentials,
      () => fixedNow,
    );
    const post = signer.signPost({ key: 'k.jar', expiresSeconds: 60, contentLength: { min: 1, max: 10 } });
    expect(post.url).toBe('https://flink-ws.oss-cn-hangzhou.aliyuncs.com/');
    expect(post.fields.key).toBe('k.jar');
  });
});
