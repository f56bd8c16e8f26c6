import { quoteEtag } from '../etag';
import { restoreInfo } from '../restore';
import type { BucketConfig, ObjectRecord } from '../store/types';
import { versionIdOf } from '../store/versions';
import { el, type XmlElement } from '../xml';
import type { ServerState } from './types';

/** `2012-02-24T08:43:07.000Z`, as OSS writes times in XML. */
export const isoTime = (ms: number) => new Date(ms).toISOString();
/** RFC 1123, as in Last-Modified. */
export const httpDate = (ms: number) => new Date(ms).toUTCString();
/** Now, at the one-second resolution of Last-Modified. */

/** `<Owner>`: ali-oss dereferences `Owner.ID` in ListObjects v1 and ListBuckets, so it must be there. */
export function ownerXml(state: ServerState): XmlElement {
  return el('Owner', [el('ID', state.accountId), el('DisplayName', state.accountId)]);
}

/** Encryption headers OSS echoes on writes and reads of an encrypted object. */
export function sseHeaders(record: Pick<ObjectRecord, 'sse'>): Record<string, string | undefined> {
  if (!record.sse) return {};
  return {
    'x-oss-server-side-encryption': record.sse.algorithm,
    'x-oss-server-side-encryption-key-id': record.sse.keyId,
  };
}

/** The headers GET and HEAD send for an object (docs/oss-protocol.md §4.2), `x-oss-restore` as of `now`. */
export function objectHeaders(record: ObjectRecord, now = Date.now()): Record<string, string | undefined> {
  return {
    ...record.headers,
    'content-type': record.headers?.['content-type'] ?? 'application/octet-stream',
    ...record.meta,
    etag: quoteEtag(record.etag),
    'last-modified': httpDate(record.lastModified),
    'accept-ranges': 'bytes',
    'x-oss-object-type': record.type,
    'x-oss-storage-class': record.storageClass,
    'x-oss-restore': record.restore ? restoreInfo(record, now) : undefined,
    'x-oss-hash-crc64ecma': record.crc64,
    'content-md5': record.contentMd5,
    'x-oss-tagging-count': record.tags && record.tags.length > 0 ? String(record.tags.length) : undefined,
    'x-oss-next-append-position': record.type === 'Appendable' ? String(record.size) : undefined,
    ...sseHeaders(record),
  };
}

/** `x-oss-version-id` of a record: in buckets where versioning has been on, and for versions made then. */
export function versionHeader(
  record: Pick<ObjectRecord, 'versionId'>,
  bucket: Pick<BucketConfig, 'versioning'>,
): Record<string, string> {
  return record.versionId !== undefined || bucket.versioning ? { 'x-oss-version-id': versionIdOf(record) } : {};
}
