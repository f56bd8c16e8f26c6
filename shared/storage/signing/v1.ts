import { createHmac } from 'node:crypto';
import type { QueryPairs } from './encode';

/**
 * Query parameters that are part of the V1 CanonicalizedResource (docs/oss-protocol.md §1.4).
 * Everything else (prefix, marker, max-keys, list-type…) is not signed in V1.
 */
export const V1_SUBRESOURCES: ReadonlySet<string> = new Set([
  'acl',
  'uploads',
  'location',
  'cors',
  'logging',
  'website',
  'referer',
  'lifecycle',
  'delete',
  'append',
  'tagging',
  'objectMeta',
  'uploadId',
  'partNumber',
  'security-token',
  'position',
  'img',
  'style',
  'styleName',
  'replication',
  'replicationProgress',
  'replicationLocation',
  'cname',
  'bucketInfo',
  'comp',
  'qos',
  'live',
  'status',
  'vod',
  'startTime',
  'endTime',
  'symlink',
  'x-oss-process',
  'response-content-type',
  'response-content-language',
  'response-expires',
  'response-cache-control',
  'response-content-disposition',
  'response-content-encoding',
  'udf',
  'udfName',
  'udfImage',
  'udfId',
  'udfImageDesc',
  'udfApplication',
  'udfApplicationLog',
  'restore',
  'callback',
  'callback-var',
  'qosInfo',
  'policy',
  'stat',
  'encryption',
  'versions',
  'versioning',
  'versionId',
  'requestPayment',
  'x-oss-request-payer',
  'sequential',
  'inventory',
  'inventoryId',
  'continuation-token',
  'asyncFetch',
  'worm',
  'wormId',
  'wormExtend',
  'withHashContext',
  'x-oss-enable-md5',
  'x-oss-enable-sha1',
  'x-oss-enable-sha256',
  'x-oss-hash-ctx',
  'x-oss-md5-ctx',
  'transferAcceleration',
  'regionList',
  'cloudboxes',
  'x-oss-ac-source-ip',
  'x-oss-ac-subnet-mask',
  'x-oss-ac-vpc-id',
  'x-oss-ac-forward-allow',
  'metaQuery',
  'resourceGroup',
  'x-oss-traffic-limit',
]);

/** What a V1 signature covers. Header names must be lowercase. */
export interface V1Request {
  method: string;
  /** "" for requests without a bucket (ListBuckets). */
  bucket: string;
  /** Decoded object key, "" for bucket-level requests. */
  key: string;
  /** Lowercase names; only content-md5, content-type and x-oss-* are read. */
  headers: Readonly<Record<string, string | undefined>>;
  /** Decoded query pairs; only sub-resources are signed. */
  query: QueryPairs;
  /** The Date line: `x-oss-date`/`Date` for header signing, the `Expires` seconds for presigned URLs. */
  date: string;
}

/** The V1 string to sign (docs/oss-protocol.md §1.1). */
export function v1StringToSign(req: V1Request): string {
  const ossHeaders = Object.keys(req.headers)
    .filter((name) => name.startsWith('x-oss-') && req.headers[name] !== undefined)
    .sort()
    .map((name) => `${name}:${req.headers[name]!.trim()}\n`)
    .join('');
  return (
    `${req.method}\n${req.headers['content-md5'] ?? ''}\n${req.headers['content-type'] ?? ''}\n${req.date}\n` +
    ossHeaders +
    v1CanonicalizedResource(req.bucket, req.key, req.query)
  );
}

/** `/bucket/key?sub&sub=v`, sub-resources sorted by name in byte order, values decoded. */
export function v1CanonicalizedResource(bucket: string, key: string, query: QueryPairs): string {
  const resource = bucket === '' ? '/' : `/${bucket}/${key}`;
  const subs = query.filter(([name]) => V1_SUBRESOURCES.has(name)).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  if (subs.length === 0) return resource;
  return `${resource}?${subs.map(([k, v]) => (v === '' ? k : `${k}=${v}`)).join('&')}`;
}

/** base64(HMAC-SHA1(secret, stringToSign)). */
export function v1Signature(secret: string, stringToSign: string): string {
  return createHmac('sha1', secret).update(stringToSign, 'utf8').digest('base64');
}
