import { OssErrors } from '../errors';
import type { BucketConfig, ObjectRecord } from '../store/types';

export const STORAGE_CLASSES = ['Standard', 'IA', 'Archive', 'ColdArchive', 'DeepColdArchive'];
const OBJECT_ACLS = ['default', 'private', 'public-read', 'public-read-write'];
export const BUCKET_ACLS = ['private', 'public-read', 'public-read-write'];
const SSE = ['AES256', 'KMS', 'SM4'];
/** Standard headers stored with an object and replayed on GET/HEAD. */
const STORED_HEADERS = [
  'content-type',
  'cache-control',
  'content-disposition',
  'content-encoding',
  'content-language',
  'expires',
];

/** Parses `x-oss-tagging` / URL-encoded tag sets (`a=1&b=2`) with OSS's limits. */
export function parseTagHeader(value: string): Array<[string, string]> {
  const tags: Array<[string, string]> = [];
  for (const part of value.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const decode = (s: string) => {
      try {
        return decodeURIComponent(s.replace(/\+/g, ' '));
      } catch {
        throw OssErrors.invalidTag('The tag is not URL-encoded correctly.');
      }
    };
    tags.push([decode(eq === -1 ? part : part.slice(0, eq)), decode(eq === -1 ? '' : part.slice(eq + 1))]);
  }
  return checkTags(tags);
}

/** At most 10 tags, keys 1..128 bytes and unique, values up to 256 bytes. */
export function checkTags(tags: Array<[string, string]>): Array<[string, string]> {
  if (tags.length > 10) throw OssErrors.tooManyTags();
  const seen = new Set<string>();
  for (const [k, v] of tags) {
    if (k === '' || Buffer.byteLength(k) > 128) throw OssErrors.invalidTag('The TagKey you have provided is invalid.');
    if (Buffer.byteLength(v) > 256) throw OssErrors.invalidTag('The TagValue you have provided is invalid.');
    if (seen.has(k)) throw OssErrors.invalidTag('Cannot provide multiple Tags with the same key.');
    seen.add(k);
  }
  return tags;
}

/** An object ACL header value, validated. */
export function parseObjectAcl(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (!OBJECT_ACLS.includes(value))
    throw OssErrors.invalidArgument('no such object access control exists', 'x-oss-object-acl', value);
  return value === 'default' ? undefined : value;
}

export type ObjectAttrs = Pick<ObjectRecord, 'storageClass' | 'headers' | 'meta' | 'sse' | 'acl' | 'tags'>;

/**
 * The attributes a write request sets from its headers (PutObject, InitiateMultipartUpload, AppendObject,
 * CopyObject with REPLACE): standard headers, `x-oss-meta-*`, encryption, ACL, storage class, tags.
 */
export function attrsFromHeaders(
  h: Readonly<Record<string, string | undefined>>,
  bucket: BucketConfig,
  fallbackType = 'application/octet-stream',
): ObjectAttrs {
  const headers: Record<string, string> = {};
  for (const name of STORED_HEADERS) {
    const value = h[name];
    if (value !== undefined) headers[name] = value;
  }
  headers['content-type'] ??= fallbackType;
  const meta: Record<string, string> = {};
  let metaBytes = 0;
  for (const [name, value] of Object.entries(h)) {
    if (value !== undefined && name.startsWith('x-oss-meta-')) {
      meta[name] = value;
      metaBytes += Buffer.byteLength(name) + Buffer.byteLength(value);
    }
  }
  if (metaBytes > 8192)
    throw OssErrors.invalidArgument(
      'The user-defined metadata of an object cannot exceed 8 KB.',
      'x-oss-meta-*',
      String(metaBytes),
    );
  return {
    storageClass: storageClassOf(h['x-oss-storage-class'], bucket.storageClass),
    headers,
    ...(Object.keys(meta).length > 0 ? { meta } : {}),
    ...sseOf(h),
    ...optional('acl', parseObjectAcl(h['x-oss-object-acl'])),
    ...optional('tags', h['x-oss-tagging'] !== undefined ? parseTagHeader(h['x-oss-tagging']) : undefined),
  };
}

function optional<K extends string, V>(name: K, value: V | undefined): Partial<Record<K, V>> {
  return value === undefined || (Array.isArray(value) && value.length === 0) ? {} : ({ [name]: value } as Record<K, V>);
}

/** The storage class named by a header (any case), the fallback when absent, 400 InvalidArgument otherwise. */
export function storageClassOf(value: string | undefined, fallback: string): string {
  if (value === undefined) return fallback;
  const match = STORAGE_CLASSES.find((c) => c.toLowerCase() === value.toLowerCase());
  if (!match) throw OssErrors.invalidArgument('Invalid storage class.', 'x-oss-storage-class', value);
  return match;
}

/** Server-side encryption requested by `x-oss-server-side-encryption` (AES256, KMS or SM4), validated. */
export function sseOf(h: Readonly<Record<string, string | undefined>>): Pick<ObjectRecord, 'sse'> {
  const algorithm = h['x-oss-server-side-encryption'];
  if (algorithm === undefined) return {};
  if (!SSE.includes(algorithm)) throw OssErrors.invalidEncryption();
  const keyId = h['x-oss-server-side-encryption-key-id'];
  return { sse: { algorithm, ...(algorithm === 'KMS' && keyId ? { keyId } : {}) } };
}

/** The ACL in force for an object: its own, else the bucket's. */
export function effectiveAcl(record: ObjectRecord | undefined, bucket: BucketConfig): string {
  return record?.acl ?? bucket.acl;
}
