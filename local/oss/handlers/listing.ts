import { quoteEtag } from '../etag';
import { decodeContinuationToken, encodeContinuationToken, parseMaxKeys } from '../listing';
import { restoreInfo } from '../restore';
import type { ObjectRecord } from '../store/types';
import { el, type XmlElement } from '../xml';
import { listEncoder } from './request';
import { isoTime, ownerXml } from './response';
import type { Handler, ServerState } from './types';

function contents(
  state: ServerState,
  record: ObjectRecord,
  encode: (t: string) => string,
  withOwner: boolean,
): XmlElement {
  return el('Contents', [
    el('Key', encode(record.key)),
    el('LastModified', isoTime(record.lastModified)),
    el('ETag', quoteEtag(record.etag)),
    el('Type', record.type),
    el('Size', record.size),
    el('StorageClass', record.storageClass),
    record.restore !== undefined && restoreXml(record, state.clock.now()),
    withOwner && ownerXml(state),
  ]);
}

/** `<RestoreInfo>` of a cold object being restored or restored (absent otherwise, as on OSS). */
function restoreXml(record: ObjectRecord, now: number): XmlElement | undefined {
  const info = restoreInfo(record, now);
  return info === undefined ? undefined : el('RestoreInfo', info);
}

/**
 * ListObjects (v1, GetBucket): prefix, delimiter, marker, max-keys, encoding-type. Every `<Contents>`
 * carries `<Owner>`: ali-oss's `list()` reads `Owner.ID` unconditionally (docs/oss-protocol.md §4.7).
 */
export const listObjects: Handler = async (ctx, state) => {
  const bucket = ctx.target!.bucket;
  const encode = listEncoder(ctx);
  const prefix = ctx.param('prefix') ?? '';
  const delimiter = ctx.param('delimiter') ?? '';
  const marker = ctx.param('marker') ?? '';
  const maxKeys = parseMaxKeys(ctx.param('max-keys'));
  const page = state.engine.list(bucket, { prefix, delimiter, after: marker, maxKeys });
  ctx.sendXml(
    200,
    el('ListBucketResult', [
      el('Name', bucket),
      el('Prefix', encode(prefix)),
      el('Marker', encode(marker)),
      el('MaxKeys', maxKeys),
      el('Delimiter', encode(delimiter)),
      ctx.param('encoding-type') === 'url' && el('EncodingType', 'url'),
      el('IsTruncated', page.isTruncated),
      page.isTruncated && el('NextMarker', encode(page.next)),
      ...page.records.map((r) => contents(state, r, encode, true)),
      ...page.commonPrefixes.map((p) => el('CommonPrefixes', [el('Prefix', encode(p))])),
    ]),
  );
};

/**
 * ListObjectsV2: prefix, delimiter, start-after, continuation-token (opaque, from NextContinuationToken),
 * max-keys, fetch-owner, encoding-type. KeyCount counts keys and common prefixes.
 */
export const listObjectsV2: Handler = async (ctx, state) => {
  const bucket = ctx.target!.bucket;
  const encode = listEncoder(ctx);
  const prefix = ctx.param('prefix') ?? '';
  const delimiter = ctx.param('delimiter') ?? '';
  const startAfter = ctx.param('start-after');
  const token = ctx.param('continuation-token');
  const maxKeys = parseMaxKeys(ctx.param('max-keys'));
  const fetchOwner = ctx.param('fetch-owner') === 'true';
  const after = token !== undefined && token !== '' ? decodeContinuationToken(token) : (startAfter ?? '');
  const page = state.engine.list(bucket, { prefix, delimiter, after, maxKeys });
  ctx.sendXml(
    200,
    el('ListBucketResult', [
      el('Name', bucket),
      el('Prefix', encode(prefix)),
      startAfter !== undefined && el('StartAfter', encode(startAfter)),
      token !== undefined && el('ContinuationToken', encode(token)),
      el('MaxKeys', maxKeys),
      el('Delimiter', encode(delimiter)),
      ctx.param('encoding-type') === 'url' && el('EncodingType', 'url'),
      el('IsTruncated', page.isTruncated),
      page.isTruncated && el('NextContinuationToken', encode(encodeContinuationToken(page.next))),
      ...page.records.map((r) => contents(state, r, encode, fetchOwner)),
      ...page.commonPrefixes.map((p) => el('CommonPrefixes', [el('Prefix', encode(p))])),
      el('KeyCount', page.records.length + page.commonPrefixes.length),
    ]),
  );
};
