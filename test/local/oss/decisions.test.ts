import { describe, expect, it } from 'vitest';
import { resolveTargets } from '../../../local/oss/addressing';
import { evaluatePreconditions } from '../../../local/oss/conditions';
import {
  type CorsConfig,
  corsResponseHeaders,
  matchCorsRule,
  parseCorsXml,
  preflight,
  wildcardMatch,
} from '../../../local/oss/cors';
import { decideFault, FaultRegistry } from '../../../local/oss/faults';
import { selectParts } from '../../../local/oss/multipart';
import { decideRange } from '../../../local/oss/range';
import { route } from '../../../local/oss/router';
import type { PartRecord } from '../../../local/oss/store/types';
import { children, parseXml, text } from '../../../local/oss/xml';

describe('Range (docs/oss-protocol.md §4.2)', () => {
  const size = 1000;
  it('serves valid single ranges', () => {
    expect(decideRange('bytes=0-99', size, false)).toEqual({ kind: 'partial', start: 0, end: 99 });
    expect(decideRange('bytes=900-', size, false)).toEqual({ kind: 'partial', start: 900, end: 999 });
    expect(decideRange('bytes=-10', size, false)).toEqual({ kind: 'partial', start: 990, end: 999 });
    expect(decideRange(undefined, size, false)).toEqual({ kind: 'full' });
  });
  it('returns the whole object for invalid or unsatisfiable ranges by default (legacy OSS)', () => {
    for (const h of [
      'bytes=500-2000',
      'bytes=1000-2000',
      'bytes=1000-',
      'bytes=-2000',
      'bytes=5-1',
      'bytes=0-1,5-9',
      'items=0-1',
      'bytes=-0',
    ]) {
      expect(decideRange(h, size, false)).toEqual({ kind: 'full' });
    }
  });
  it('follows standard semantics with x-oss-range-behavior: standard', () => {
    expect(decideRange('bytes=500-2000', size, true)).toEqual({ kind: 'partial', start: 500, end: 999 });
    expect(decideRange('bytes=1000-2000', size, true)).toEqual({ kind: 'unsatisfiable' });
    expect(decideRange('bytes=-2000', size, true)).toEqual({ kind: 'partial', start: 0, end: 999 });
    expect(decideRange('bytes=0-0', 0, true)).toEqual({ kind: 'unsatisfiable' });
  });
});

describe('conditional requests', () => {
  const etag = 'ABC';
  const modified = Date.parse('Wed, 01 Jan 2025 00:00:10 GMT');
  it('412 for If-Match and If-Unmodified-Since, 304 for If-None-Match and If-Modified-Since', () => {
    expect(evaluatePreconditions({ ifMatch: '"ABC"' }, etag, modified)).toEqual({ kind: 'proceed' });
    expect(evaluatePreconditions({ ifMatch: '"XYZ"' }, etag, modified)).toEqual({
      kind: 'failed',
      condition: 'If-Match',
    });
    expect(evaluatePreconditions({ ifMatch: '*' }, etag, modified)).toEqual({ kind: 'proceed' });
    expect(evaluatePreconditions({ ifNoneMatch: '"abc"' }, etag, modified)).toEqual({
      kind: 'not-modified',
      condition: 'If-None-Match',
    });
    expect(evaluatePreconditions({ ifModifiedSince: 'Wed, 01 Jan 2025 00:00:10 GMT' }, etag, modified + 400)).toEqual({
      kind: 'not-modified',
      condition: 'If-Modified-Since',
    });
    expect(evaluatePreconditions({ ifModifiedSince: 'Wed, 01 Jan 2025 00:00:09 GMT' }, etag, modified)).toEqual({
      kind: 'proceed',
    });
    expect(evaluatePreconditions({ ifUnmodifiedSince: 'Wed, 01 Jan 2025 00:00:09 GMT' }, etag, modified)).toEqual({
      kind: 'failed',
      condition: 'If-Unmodified-Since',
    });
    expect(evaluatePreconditions({ ifUnmodifiedSince: 'not a date' }, etag, modified)).toEqual({ kind: 'proceed' });
  });
  it('lets If-Match override If-Unmodified-Since and If-None-Match override If-Modified-Since (RFC 7232)', () => {
    expect(
      evaluatePreconditions({ ifMatch: 'ABC', ifUnmodifiedSince: 'Wed, 01 Jan 2020 00:00:00 GMT' }, etag, modified),
    ).toEqual({ kind: 'proceed' });
    expect(
      evaluatePreconditions({ ifNoneMatch: 'XYZ', ifModifiedSince: 'Wed, 01 Jan 2030 00:00:00 GMT' }, etag, modified),
    ).toEqual({ kind: 'proceed' });
  });
});

describe('addressing (docs/oss-protocol.md §7)', () => {
  const cfg = { baseDomains: ['oss.test'] };
  it('reads path style from own names and IPs', () => {
    expect(resolveTargets('localhost:9100', '/bkt/a%20b/c', cfg)).toEqual([
      { bucket: 'bkt', key: 'a b/c', style: 'path' },
    ]);
    expect(resolveTargets('127.0.0.1:9100', '/bkt', cfg)).toEqual([{ bucket: 'bkt', key: '', style: 'path' }]);
    expect(resolveTargets('[::1]:9100', '/', cfg)).toEqual([{ bucket: '', key: '', style: 'path' }]);
    expect(resolveTargets('oss:9100', '/bkt/k', cfg)).toEqual([{ bucket: 'bkt', key: 'k', style: 'path' }]);
  });
  it("reads virtual-hosted buckets from ali-oss's rewritten Host, *.localhost and configured domains", () => {
    expect(resolveTargets('bkt.oss-cn-hangzhou.aliyuncs.com', '/x%2By', cfg)).toEqual([
      { bucket: 'bkt', key: 'x+y', style: 'virtual' },
    ]);
    expect(resolveTargets('bkt.localhost:9100', '/k', cfg)[0]).toMatchObject({ bucket: 'bkt', key: 'k' });
    expect(resolveTargets('bkt.oss.test:9100', '/k', cfg)[0]).toMatchObject({ bucket: 'bkt', key: 'k' });
    expect(resolveTargets('.oss-cn-hangzhou.aliyuncs.com', '/', cfg)).toEqual([
      { bucket: '', key: '', style: 'virtual' },
    ]);
  });
  it('offers both readings when an IP endpoint with sldEnable repeats the bucket in Host and path', () => {
    expect(resolveTargets('bkt.oss-cn-hangzhou.aliyuncs.com', '/bkt/k', cfg)).toEqual([
      { bucket: 'bkt', key: 'bkt/k', style: 'virtual' },
      { bucket: 'bkt', key: 'k', style: 'path' },
    ]);
  });
  it('refuses malformed escapes with InvalidURI', () => {
    expect(() => resolveTargets('localhost', '/bkt/%E4%zz', cfg)).toThrow(
      expect.objectContaining({ code: 'InvalidURI' }),
    );
  });
});

describe('routing', () => {
  const t = (key: string) => ({ bucket: 'b', key, style: 'path' as const });
  const q = (s: string) =>
    s
      .split('&')
      .filter(Boolean)
      .map((p) => p.split('=') as [string, string])
      .map(([k, v]) => [k, v ?? ''] as [string, string]);
  it('names operations from method, key and sub-resources', () => {
    expect(route('GET', { bucket: '', key: '', style: 'path' }, [], {})).toEqual({ op: 'ListBuckets' });
    expect(route('GET', t(''), q('list-type=2'), {})).toEqual({ op: 'ListObjectsV2' });
    expect(route('POST', t(''), q('delete='), {})).toEqual({ op: 'DeleteMultipleObjects' });
    expect(route('PUT', t('k'), q('partNumber=1&uploadId=U'), { 'x-oss-copy-source': '/b/s' })).toEqual({
      op: 'UploadPartCopy',
    });
    expect(route('PUT', t('k'), [], { 'x-oss-copy-source': '/b/s' })).toEqual({ op: 'CopyObject' });
    expect(route('HEAD', t('k'), q('objectMeta='), {})).toEqual({ op: 'GetObjectMeta' });
    expect(route('POST', t('k'), q('append=&position=0'), {})).toEqual({ op: 'AppendObject' });
    expect(route('GET', t('k'), q('x-oss-process=image/resize'), {})).toEqual({ unsupported: 'x-oss-process' });
    expect(route('PATCH', t('k'), [], {})).toEqual({ methodNotAllowed: true });
  });
});

describe('CORS', () => {
  const config: CorsConfig = parseCorsXml(
    '<CORSConfiguration><CORSRule><AllowedOrigin>https://*.example.com</AllowedOrigin><AllowedMethod>PUT</AllowedMethod><AllowedMethod>GET</AllowedMethod><AllowedHeader>x-oss-*</AllowedHeader><AllowedHeader>content-type</AllowedHeader><ExposeHeader>ETag</ExposeHeader><MaxAgeSeconds>100</MaxAgeSeconds></CORSRule><ResponseVary>true</ResponseVary></CORSConfiguration>',
  );
  it('matches origins with one wildcard, methods and requested headers', () => {
    expect(wildcardMatch('https://*.example.com', 'https://app.example.com')).toBe(true);
    expect(wildcardMatch('https://*.example.com', 'https://example.org')).toBe(false);
    expect(matchCorsRule(config, 'https://a.example.com', 'PUT', ['Content-Type', 'x-oss-meta-a'])).toBeDefined();
    expect(matchCorsRule(config, 'https://a.example.com', 'DELETE', [])).toBeUndefined();
    expect(matchCorsRule(config, 'https://a.example.com', 'PUT', ['authorization'])).toBeUndefined();
  });
  it('answers preflights per the rules and refuses others with AccessForbidden', () => {
    expect(preflight(config, 'https://a.example.com', 'PUT', 'content-type')).toMatchObject({
      'access-control-allow-origin': 'https://a.example.com',
      'access-control-allow-methods': 'PUT, GET',
      'access-control-allow-headers': 'content-type',
      'access-control-expose-headers': 'ETag',
      'access-control-max-age': '100',
      vary: 'Origin',
    });
    expect(() => preflight(undefined, 'https://a.example.com', 'PUT', undefined)).toThrow(
      expect.objectContaining({ code: 'AccessForbidden', status: 403 }),
    );
    expect(() => preflight(config, 'https://evil.test', 'PUT', undefined)).toThrow(
      expect.objectContaining({ code: 'AccessForbidden' }),
    );
    expect(corsResponseHeaders(config, 'https://a.example.com', 'GET')['access-control-expose-headers']).toBe('ETag');
    expect(corsResponseHeaders(config, undefined, 'GET')).toEqual({});
  });
  it('refuses configurations OSS refuses', () => {
    expect(() =>
      parseCorsXml('<CORSConfiguration><CORSRule><AllowedMethod>GET</AllowedMethod></CORSRule></CORSConfiguration>'),
    ).toThrow(expect.objectContaining({ code: 'MalformedXML' }));
    expect(() =>
      parseCorsXml(
        '<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>PATCH</AllowedMethod></CORSRule></CORSConfiguration>',
      ),
    ).toThrow(expect.objectContaining({ code: 'InvalidArgument' }));
  });
});

describe('CompleteMultipartUpload part selection (§4.8)', () => {
  const part = (n: number, size: number): PartRecord => ({
    partNumber: n,
    blob: `b${n}`,
    size,
    etag: `E${n}`,
    crc64: '0',
    lastModified: 0,
  });
  const uploaded = new Map([1, 2, 3].map((n) => [n, part(n, n === 3 ? 10 : 102400)]));
  it('returns the requested parts in order, ignoring ETag quotes and case', () => {
    expect(
      selectParts(uploaded, [
        { partNumber: 1, etag: '"e1"' },
        { partNumber: 3, etag: 'E3' },
      ]).map((p) => p.partNumber),
    ).toEqual([1, 3]);
  });
  it('refuses unordered lists, unknown parts or ETags, and small non-final parts', () => {
    expect(() =>
      selectParts(uploaded, [
        { partNumber: 2, etag: 'E2' },
        { partNumber: 1, etag: 'E1' },
      ]),
    ).toThrow(expect.objectContaining({ code: 'InvalidPartOrder' }));
    expect(() =>
      selectParts(uploaded, [
        { partNumber: 1, etag: 'E1' },
        { partNumber: 1, etag: 'E1' },
      ]),
    ).toThrow(expect.objectContaining({ code: 'InvalidPartOrder' }));
    expect(() => selectParts(uploaded, [{ partNumber: 4, etag: 'E4' }])).toThrow(
      expect.objectContaining({ code: 'InvalidPart' }),
    );
    expect(() => selectParts(uploaded, [{ partNumber: 1, etag: 'WRONG' }])).toThrow(
      expect.objectContaining({ code: 'InvalidPart' }),
    );
    expect(() =>
      selectParts(uploaded, [
        { partNumber: 3, etag: 'E3' },
        { partNumber: 4, etag: 'x' },
      ]),
    ).toThrow(expect.objectContaining({ code: 'InvalidPart' }));
    const small = new Map([
      [1, part(1, 102399)],
      [2, part(2, 5)],
    ]);
    expect(() =>
      selectParts(small, [
        { partNumber: 1, etag: 'E1' },
        { partNumber: 2, etag: 'E2' },
      ]),
    ).toThrow(expect.objectContaining({ code: 'EntityTooSmall' }));
  });
});

describe('fault injection', () => {
  it('maps one random roll to the configured failure probabilities', () => {
    const fault = { internalError: 0.2, slowDown: 0.3, reset: 0.1 };
    expect(decideFault(fault, 0.1)).toBe('internal-error');
    expect(decideFault(fault, 0.4)).toBe('slow-down');
    expect(decideFault(fault, 0.55)).toBe('reset');
    expect(decideFault(fault, 0.7)).toBe('none');
  });
  it('applies per operation, falls back to "*", and stops after `times`', () => {
    const registry = new FaultRegistry(() => 0);
    registry.set('PutObject', { internalError: 1, times: 2 });
    registry.set('*', { latencyMs: 5 });
    expect(registry.next('PutObject').action).toBe('internal-error');
    expect(registry.next('GetObject')).toEqual({ latencyMs: 5, action: 'none' });
    expect(registry.next('PutObject').action).toBe('internal-error');
    expect(registry.next('PutObject')).toEqual({ latencyMs: 5, action: 'none' });
    expect(() => registry.set('x', { reset: 2 })).toThrow(RangeError);
  });
});

describe('XML', () => {
  it('keeps spaces and decodes entities in values', () => {
    const doc = parseXml(
      '<?xml version="1.0"?><Delete><Object><Key> a&amp;b &#x4e2d;</Key></Object><Object><Key>c</Key></Object></Delete>',
    );
    expect(children(doc.Delete, 'Object').map((o) => text(o, 'Key'))).toEqual([' a&b 中', 'c']);
  });
  it('refuses malformed documents and DTDs as MalformedXML', () => {
    for (const bad of ['', 'garbage', '<a><b></a>', '<!DOCTYPE x [<!ENTITY a "b">]><a>&a;</a>']) {
      expect(() => parseXml(bad)).toThrow(expect.objectContaining({ code: 'MalformedXML' }));
    }
  });
});
