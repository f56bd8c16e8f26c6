import type { Target } from './addressing';

/** Every operation the server answers, named as OSS's API reference names them (also the fault-injection names). */
export const OPERATIONS = [
  'ListBuckets',
  'PutBucket',
  'DeleteBucket',
  'GetBucketInfo',
  'GetBucketLocation',
  'HeadBucket',
  'PutBucketAcl',
  'GetBucketAcl',
  'PutBucketCors',
  'GetBucketCors',
  'DeleteBucketCors',
  'PutBucketLifecycle',
  'GetBucketLifecycle',
  'DeleteBucketLifecycle',
  'PutBucketVersioning',
  'GetBucketVersioning',
  'ListObjectVersions',
  'ListObjects',
  'ListObjectsV2',
  'ListMultipartUploads',
  'DeleteMultipleObjects',
  'PostObject',
  'PutObject',
  'CopyObject',
  'AppendObject',
  'GetObject',
  'HeadObject',
  'GetObjectMeta',
  'DeleteObject',
  'PutObjectAcl',
  'GetObjectAcl',
  'PutObjectTagging',
  'GetObjectTagging',
  'DeleteObjectTagging',
  'RestoreObject',
  'InitiateMultipartUpload',
  'UploadPart',
  'UploadPartCopy',
  'CompleteMultipartUpload',
  'AbortMultipartUpload',
  'ListParts',
  'Options',
] as const;

export type Operation = (typeof OPERATIONS)[number];

/** An operation, or why there is none: a sub-resource we do not implement, or a method OSS refuses here. */
export type Route = { op: Operation } | { unsupported: string } | { methodNotAllowed: true };

// Sub-resources that select an operation; anything else in this list that we do not implement is 501.
const UNSUPPORTED = [
  'website',
  'logging',
  'referer',
  'policy',
  'encryption',
  'inventory',
  'worm',
  'tagging',
  'symlink',
  'replication',
  'stat',
  'requestPayment',
  'x-oss-process',
  'callback',
  'asyncFetch',
  'transferAcceleration',
  'qos',
  'live',
  'img',
];

/**
 * Picks the operation for a request from method, bucket/key presence and sub-resources (query names).
 * Pure: no store access.
 */
export function route(
  method: string,
  target: Target,
  query: ReadonlyArray<readonly [string, string]>,
  headers: Readonly<Record<string, string | undefined>>,
): Route {
  const has = (name: string) => query.some(([k]) => k === name);
  const value = (name: string) => query.find(([k]) => k === name)?.[1];
  if (method === 'OPTIONS') return { op: 'Options' };
  if (target.bucket === '') return method === 'GET' ? { op: 'ListBuckets' } : { methodNotAllowed: true };

  if (target.key === '') {
    switch (method) {
      case 'PUT':
        if (has('acl')) return { op: 'PutBucketAcl' };
        if (has('cors')) return { op: 'PutBucketCors' };
        if (has('lifecycle')) return { op: 'PutBucketLifecycle' };
        if (has('versioning')) return { op: 'PutBucketVersioning' };
        return unsupportedOr(query, { op: 'PutBucket' });
      case 'GET':
        if (has('acl')) return { op: 'GetBucketAcl' };
        if (has('cors')) return { op: 'GetBucketCors' };
        if (has('lifecycle')) return { op: 'GetBucketLifecycle' };
        if (has('location')) return { op: 'GetBucketLocation' };
        if (has('bucketInfo')) return { op: 'GetBucketInfo' };
        if (has('uploads')) return { op: 'ListMultipartUploads' };
        if (has('versioning')) return { op: 'GetBucketVersioning' };
        if (has('versions')) return { op: 'ListObjectVersions' };
        if (value('list-type') === '2') return { op: 'ListObjectsV2' };
        return unsupportedOr(query, { op: 'ListObjects' });
      case 'HEAD':
        return { op: 'HeadBucket' };
      case 'DELETE':
        if (has('cors')) return { op: 'DeleteBucketCors' };
        if (has('lifecycle')) return { op: 'DeleteBucketLifecycle' };
        return unsupportedOr(query, { op: 'DeleteBucket' });
      case 'POST':
        if (has('delete')) return { op: 'DeleteMultipleObjects' };
        return unsupportedOr(query, { op: 'PostObject' });
      default:
        return { methodNotAllowed: true };
    }
  }

  switch (method) {
    case 'PUT':
      if (has('acl')) return { op: 'PutObjectAcl' };
      if (has('tagging')) return { op: 'PutObjectTagging' };
      if (has('uploadId') || has('partNumber'))
        return { op: headers['x-oss-copy-source'] !== undefined ? 'UploadPartCopy' : 'UploadPart' };
      if (headers['x-oss-copy-source'] !== undefined) return unsupportedOr(query, { op: 'CopyObject' });
      return unsupportedOr(query, { op: 'PutObject' });
    case 'GET':
      if (has('acl')) return { op: 'GetObjectAcl' };
      if (has('tagging')) return { op: 'GetObjectTagging' };
      if (has('uploadId')) return { op: 'ListParts' };
      if (has('objectMeta')) return { op: 'GetObjectMeta' };
      return unsupportedOr(query, { op: 'GetObject' });
    case 'HEAD':
      if (has('objectMeta')) return { op: 'GetObjectMeta' };
      return unsupportedOr(query, { op: 'HeadObject' });
    case 'DELETE':
      if (has('tagging')) return { op: 'DeleteObjectTagging' };
      if (has('uploadId')) return { op: 'AbortMultipartUpload' };
      return unsupportedOr(query, { op: 'DeleteObject' });
    case 'POST':
      if (has('uploads')) return { op: 'InitiateMultipartUpload' };
      if (has('uploadId')) return { op: 'CompleteMultipartUpload' };
      if (has('append')) return { op: 'AppendObject' };
      if (has('restore')) return { op: 'RestoreObject' };
      return unsupportedOr(query, { methodNotAllowed: true });
    default:
      return { methodNotAllowed: true };
  }
}

function unsupportedOr(query: ReadonlyArray<readonly [string, string]>, fallback: Route): Route {
  const name = query.find(([k]) => UNSUPPORTED.includes(k))?.[0];
  return name === undefined ? fallback : { unsupported: name };
}
