import { OssErrors } from '../errors';
import { etagFromMd5, quoteEtag } from '../etag';
import type { RequestContext } from '../http/context';
import { keyProblem } from '../keys';
import type { Notifier } from '../notifications';
import type { Committed, ObjectStore } from '../store/engine';
import type { BucketConfig, ObjectRecord, StagedBlob } from '../store/types';
import { el, type XmlElement } from '../xml';

/** What every handler works with. */
export interface ServerState {
  store: ObjectStore;
  notifier: Notifier;
  /** Bare region id, `cn-hangzhou`. */
  region: string;
  accountId: string;
  log: (line: string) => void;
}

export type Handler = (ctx: RequestContext, state: ServerState) => Promise<void>;

/** OSS refuses single objects and parts over 5 GiB. */
export const MAX_OBJECT_BYTES = 5 * 1024 ** 3;

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

/** `2012-02-24T08:43:07.000Z`, as OSS writes times in XML. */
export const isoTime = (ms: number) => new Date(ms).toISOString();
/** RFC 1123, as in Last-Modified. */
export const httpDate = (ms: number) => new Date(ms).toUTCString();
/** Now, at the one-second resolution of Last-Modified. */
export const nowSeconds = () => Math.floor(Date.now() / 1000) * 1000;

/** `<Owner>`: ali-oss dereferences `Owner.ID` in ListObjects v1 and ListBuckets, so it must be there. */
export function ownerXml(state: ServerState): XmlElement {
  return el('Owner', [el('ID', state.accountId), el('DisplayName', state.accountId)]);
}

/** The target's key, or OSS's 400 InvalidObjectName. */
export function requireKey(ctx: RequestContext): string {
  const key = ctx.target!.key;
  const problem = keyProblem(key);
  if (problem) throw problem;
  return key;
}

/** Decodes a Content-MD5 header (base64 of 16 bytes); anything else is 400 InvalidDigest. */
export function expectedMd5(header: string | undefined): Buffer | undefined {
  if (header === undefined) return undefined;
  const bytes = Buffer.from(header.trim(), 'base64');
  if (bytes.length !== 16 || bytes.toString('base64') !== header.trim()) throw OssErrors.invalidDigest();
  return bytes;
}

/** A body-carrying PUT needs Content-Length or chunked encoding (411 otherwise) and at most 5 GiB. */
export function requireLength(ctx: RequestContext): void {
  const length = ctx.headers['content-length'];
  const chunked = /chunked/i.test(ctx.headers['transfer-encoding'] ?? '');
  if (length === undefined && !chunked) throw OssErrors.missingContentLength();
  if (length !== undefined && Number(length) > MAX_OBJECT_BYTES) throw OssErrors.entityTooLarge();
}

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

/** Encryption headers OSS echoes on writes and reads of an encrypted object. */
export function sseHeaders(record: Pick<ObjectRecord, 'sse'>): Record<string, string | undefined> {
  if (!record.sse) return {};
  return {
    'x-oss-server-side-encryption': record.sse.algorithm,
    'x-oss-server-side-encryption-key-id': record.sse.keyId,
  };
}

/** The headers GET and HEAD send for an object (docs/oss-protocol.md §4.2). */
export function objectHeaders(record: ObjectRecord): Record<string, string | undefined> {
  return {
    ...record.headers,
    'content-type': record.headers?.['content-type'] ?? 'application/octet-stream',
    ...record.meta,
    etag: quoteEtag(record.etag),
    'last-modified': httpDate(record.lastModified),
    'accept-ranges': 'bytes',
    'x-oss-object-type': record.type,
    'x-oss-storage-class': record.storageClass,
    'x-oss-hash-crc64ecma': record.crc64,
    'content-md5': record.contentMd5,
    'x-oss-tagging-count': record.tags && record.tags.length > 0 ? String(record.tags.length) : undefined,
    'x-oss-next-append-position': record.type === 'Appendable' ? String(record.size) : undefined,
    ...sseHeaders(record),
  };
}

/** The ACL in force for an object: its own, else the bucket's. */
export function effectiveAcl(record: ObjectRecord | undefined, bucket: BucketConfig): string {
  return record?.acl ?? bucket.acl;
}

/**
 * Commits a staged body as a Normal object (PutObject, PostObject): ETag from its MD5, CRC-64, the
 * request's attributes; then announces it under `eventName`.
 */
export async function commitNormalObject(
  ctx: RequestContext,
  state: ServerState,
  eventName: string,
  target: { bucket: string; key: string; forbidOverwrite: boolean },
  staged: StagedBlob,
  attrs: ObjectAttrs,
): Promise<{ committed: Committed; etag: string }> {
  const etag = etagFromMd5(staged.md5);
  const committed = await state.store.putObject(
    target.bucket,
    target.key,
    staged,
    {
      ...attrs,
      size: staged.size,
      etag,
      contentMd5: staged.md5.toString('base64'),
      crc64: staged.crc64,
      lastModified: nowSeconds(),
      type: 'Normal',
    },
    { forbidOverwrite: target.forbidOverwrite },
  );
  notifyCreated(ctx, state, eventName, target.bucket, committed);
  return { committed, etag };
}

/** Announces a committed write to subscribers (after it is durable). */
export function notifyCreated(
  ctx: RequestContext,
  state: ServerState,
  eventName: string,
  bucket: string,
  committed: Committed,
  position?: number,
): void {
  state.notifier.publish({
    eventName,
    bucket,
    key: committed.record.key,
    eTag: committed.record.etag,
    size: committed.record.size,
    deltaSize: committed.record.size - (committed.previous?.size ?? 0),
    ...(position !== undefined ? { position } : {}),
    time: new Date(committed.record.lastModified),
    requestId: ctx.requestId,
    sourceIp: sourceIp(ctx),
  });
}

/** Announces a deletion (DeleteObject, DeleteMultipleObjects). */
export function notifyRemoved(
  ctx: RequestContext,
  state: ServerState,
  eventName: string,
  bucket: string,
  removed: ObjectRecord,
): void {
  state.notifier.publish({
    eventName,
    bucket,
    key: removed.key,
    eTag: removed.etag,
    size: removed.size,
    deltaSize: -removed.size,
    time: new Date(),
    requestId: ctx.requestId,
    sourceIp: sourceIp(ctx),
  });
}

function sourceIp(ctx: RequestContext): string {
  return (ctx.req.socket.remoteAddress ?? '127.0.0.1').replace(/^::ffff:/, '');
}

/** Parses `x-oss-copy-source: /bucket/url-encoded-key[?versionId=…]`. */
export function parseCopySource(value: string): { bucket: string; key: string } {
  const bad = () =>
    OssErrors.invalidArgument(
      'Copy Source must mention the source bucket and key: /sourcebucket/sourcekey.',
      'x-oss-copy-source',
      value,
    );
  const path = value.split('?')[0]!;
  const m = /^\/?([^/]+)\/(.+)$/.exec(path);
  if (!m) throw bad();
  try {
    const key = decodeURIComponent(m[2]!);
    const problem = keyProblem(key);
    if (problem) throw problem;
    return { bucket: decodeURIComponent(m[1]!), key };
  } catch (error) {
    if (error instanceof URIError) throw bad();
    throw error;
  }
}
