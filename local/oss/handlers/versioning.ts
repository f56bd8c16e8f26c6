import { OssErrors } from '../errors';
import { quoteEtag } from '../etag';
import { compareKeys } from '../keys';
import { parseMaxKeys } from '../listing';
import { restoreInfo } from '../restore';
import type { SortedKeySet } from '../sorted-index';
import type { ObjectRecord } from '../store/types';
import { versionIdOf } from '../store/versions';
import { el, parseXml, text, type XmlElement } from '../xml';
import { listEncoder } from './request';
import { isoTime, ownerXml } from './response';
import type { Handler, ServerState } from './types';

/** PutBucketVersioning: `Enabled` or `Suspended`; once on, versioning can be suspended but not removed. */
export const putBucketVersioning: Handler = async (ctx, state) => {
  const root = parseXml((await ctx.readBody(64 * 1024)).toString('utf8')).VersioningConfiguration;
  if (root === undefined) throw OssErrors.malformedXml();
  const status = text(root, 'Status')?.trim();
  if (status !== 'Enabled' && status !== 'Suspended') throw OssErrors.malformedXml();
  await state.engine.updateBucket(ctx.target!.bucket, (c) => ({ ...c, versioning: status }));
  ctx.send(200);
};

/** GetBucketVersioning: the status, or an empty configuration for a bucket never versioned. */
export const getBucketVersioning: Handler = async (ctx, state) => {
  const { versioning } = state.engine.requireBucket(ctx.target!.bucket).config;
  ctx.sendXml(200, el('VersioningConfiguration', versioning ? [el('Status', versioning)] : []));
};

/** One entry of a versions listing. */
type Entry = { record: ObjectRecord; latest: boolean } | { prefix: string };

/** A page of versions: keys in UTF-8 order, each key's versions newest first, delete markers included. */
export interface VersionPage {
  entries: Entry[];
  isTruncated: boolean;
  nextKeyMarker: string;
  nextVersionIdMarker: string;
}

/**
 * Pages through every version as OSS's ListObjectVersions does (pure over the index): start after
 * `keyMarker` (all its versions) or, with `versionIdMarker`, after that version of that key; a
 * `delimiter` rolls keys into common prefixes that count once against `maxKeys`.
 */
export function versionPage(
  keys: SortedKeySet,
  versionsOf: (key: string) => ObjectRecord[],
  req: { prefix: string; delimiter: string; keyMarker: string; versionIdMarker: string; maxKeys: number },
): VersionPage {
  const { prefix, delimiter, keyMarker, versionIdMarker, maxKeys } = req;
  const entries: Entry[] = [];
  let next = { key: '', version: '' };
  const resumeInside = keyMarker !== '' && versionIdMarker !== '';
  let cursor = compareKeys(keyMarker, prefix) >= 0 ? keys.seek(keyMarker, !resumeInside) : keys.seek(prefix);
  if (delimiter !== '' && keyMarker.startsWith(prefix)) {
    const d = keyMarker.indexOf(delimiter, prefix.length);
    if (d !== -1) cursor = keys.seekPastPrefix(keyMarker.slice(0, d + delimiter.length));
  }
  const full = () => entries.length === maxKeys;
  for (let key = keys.at(cursor); key !== undefined; key = keys.at(cursor)) {
    if (!key.startsWith(prefix)) break;
    const d = delimiter === '' ? -1 : key.indexOf(delimiter, prefix.length);
    if (d !== -1) {
      if (full()) return { entries, isTruncated: true, nextKeyMarker: next.key, nextVersionIdMarker: next.version };
      const common = key.slice(0, d + delimiter.length);
      entries.push({ prefix: common });
      next = { key: common, version: '' };
      cursor = keys.seekPastPrefix(common);
      continue;
    }
    const all = versionsOf(key);
    let versions = all;
    if (resumeInside && key === keyMarker) {
      const at = versions.findIndex((v) => versionIdOf(v) === versionIdMarker);
      versions = at === -1 ? [] : versions.slice(at + 1);
    }
    for (const record of versions) {
      if (full()) return { entries, isTruncated: true, nextKeyMarker: next.key, nextVersionIdMarker: next.version };
      entries.push({ record, latest: record === all[0] });
      next = { key, version: versionIdOf(record) };
    }
    keys.next(cursor);
  }
  return { entries, isTruncated: false, nextKeyMarker: '', nextVersionIdMarker: '' };
}

/**
 * ListObjectVersions (`GET /?versions`): prefix, delimiter, key-marker, version-id-marker, max-keys,
 * encoding-type. A bucket never versioned lists each object once, as version `null`.
 */
export const listObjectVersions: Handler = async (ctx, state) => {
  const bucket = ctx.target!.bucket;
  const encode = listEncoder(ctx);
  const prefix = ctx.param('prefix') ?? '';
  const delimiter = ctx.param('delimiter') ?? '';
  const keyMarker = ctx.param('key-marker') ?? '';
  const versionIdMarker = ctx.param('version-id-marker') ?? '';
  if (versionIdMarker !== '' && keyMarker === '')
    throw OssErrors.invalidArgument(
      'A version-id marker cannot be specified without a key marker.',
      'version-id-marker',
      versionIdMarker,
    );
  const maxKeys = parseMaxKeys(ctx.param('max-keys'));
  const page = versionPage(state.engine.versionKeys(bucket), (k) => state.engine.versions(bucket, k), {
    prefix,
    delimiter,
    keyMarker,
    versionIdMarker,
    maxKeys,
  });
  const now = state.clock.now();
  ctx.sendXml(
    200,
    el('ListVersionsResult', [
      el('Name', bucket),
      el('Prefix', encode(prefix)),
      el('KeyMarker', encode(keyMarker)),
      el('VersionIdMarker', versionIdMarker),
      el('MaxKeys', maxKeys),
      el('Delimiter', encode(delimiter)),
      ctx.param('encoding-type') === 'url' && el('EncodingType', 'url'),
      el('IsTruncated', page.isTruncated),
      page.isTruncated && el('NextKeyMarker', encode(page.nextKeyMarker)),
      page.isTruncated && el('NextVersionIdMarker', page.nextVersionIdMarker),
      ...page.entries.map((e) =>
        'prefix' in e ? el('CommonPrefixes', [el('Prefix', encode(e.prefix))]) : versionXml(state, e, encode, now),
      ),
    ]),
  );
};

function versionXml(
  state: ServerState,
  entry: { record: ObjectRecord; latest: boolean },
  encode: (t: string) => string,
  now: number,
): XmlElement {
  const r = entry.record;
  const common = [
    el('Key', encode(r.key)),
    el('VersionId', versionIdOf(r)),
    el('IsLatest', entry.latest),
    el('LastModified', isoTime(r.lastModified)),
  ];
  if (r.deleteMarker) return el('DeleteMarker', [...common, ownerXml(state)]);
  const restore = r.restore ? restoreInfo(r, now) : undefined;
  return el('Version', [
    ...common,
    el('ETag', quoteEtag(r.etag)),
    el('Type', r.type),
    el('Size', r.size),
    el('StorageClass', r.storageClass),
    restore !== undefined && el('RestoreInfo', restore),
    ownerXml(state),
  ]);
}
