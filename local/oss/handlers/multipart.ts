import { randomBytes } from 'node:crypto';
import { MAX_SINGLE_PUT_BYTES } from '../../../shared/storage/limits';
import { evaluatePreconditions } from '../conditions';
import { OssErrors } from '../errors';
import { etagFromMd5, multipartEtag, quoteEtag } from '../etag';
import { compareKeys } from '../keys';
import { parseMaxKeys } from '../listing';
import { parsePartNumber, type RequestedPart, selectParts } from '../multipart';
import { requireReadable } from '../restore';
import { children, el, parseXml, text } from '../xml';
import { attrsFromHeaders } from './object-attrs';
import { notifyCreated } from './publish';
import { expectedMd5, forbidsOverwrite, listEncoder, parseCopySource, requireKey, requireLength } from './request';
import { isoTime, sseHeaders, versionHeader } from './response';
import type { Handler } from './types';

/** InitiateMultipartUpload: the object's attributes are fixed now and applied at completion. */
export const initiateMultipartUpload: Handler = async (ctx, state) => {
  const { bucket } = ctx.target!;
  const key = requireKey(ctx);
  const config = state.engine.requireBucket(bucket).config;
  const attrs = attrsFromHeaders(ctx.headers, config);
  if (forbidsOverwrite(ctx) && state.engine.wouldOverwrite(bucket, key)) throw OssErrors.fileAlreadyExists();
  const uploadId = randomBytes(16).toString('hex').toUpperCase();
  await state.engine.initiateUpload(bucket, { uploadId, key, initiated: state.clock.now(), ...attrs });
  const encode = listEncoder(ctx);
  ctx.sendXml(
    200,
    el('InitiateMultipartUploadResult', [
      el('Bucket', bucket),
      el('Key', encode(key)),
      el('UploadId', uploadId),
      ctx.param('encoding-type') === 'url' && el('EncodingType', 'url'),
    ]),
    sseHeaders(attrs),
  );
};

/** UploadPart: the ETag header is required by ali-oss (it throws without it). */
export const uploadPart: Handler = async (ctx, state) => {
  const { bucket } = ctx.target!;
  const key = requireKey(ctx);
  const partNumber = parsePartNumber(ctx.param('partNumber'));
  const uploadId = ctx.param('uploadId') ?? '';
  const upload = state.engine.requireUpload(bucket, uploadId, key);
  const md5 = expectedMd5(ctx.headers['content-md5']);
  requireLength(ctx);
  const staged = await state.engine.stage(ctx.body(), {
    maxBytes: MAX_SINGLE_PUT_BYTES,
    tooLarge: () => OssErrors.entityTooLarge(),
  });
  if (md5 && !md5.equals(staged.md5)) {
    await state.engine.discard(staged);
    throw OssErrors.invalidDigest();
  }
  const etag = etagFromMd5(staged.md5);
  await state.engine.putPart(bucket, uploadId, partNumber, staged, etag);
  ctx.send(200, {
    etag: quoteEtag(etag),
    'x-oss-hash-crc64ecma': staged.crc64,
    'content-md5': staged.md5.toString('base64'),
    ...sseHeaders(upload.record),
  });
};

/** UploadPartCopy: a byte range (`x-oss-copy-source-range`) of an existing object becomes a part. */
export const uploadPartCopy: Handler = async (ctx, state) => {
  const { bucket } = ctx.target!;
  const key = requireKey(ctx);
  const partNumber = parsePartNumber(ctx.param('partNumber'));
  const uploadId = ctx.param('uploadId') ?? '';
  state.engine.requireUpload(bucket, uploadId, key);
  const source = parseCopySource(ctx.headers['x-oss-copy-source']!);
  state.engine.requireBucket(source.bucket);
  const rangeHeader = ctx.headers['x-oss-copy-source-range'];
  const { stream } = await state.engine.openObject(
    source.bucket,
    source.key,
    (src) => {
      requireReadable(src, state.clock.now());
      const outcome = evaluatePreconditions(
        {
          ...(ctx.headers['x-oss-copy-source-if-match'] !== undefined
            ? { ifMatch: ctx.headers['x-oss-copy-source-if-match'] }
            : {}),
          ...(ctx.headers['x-oss-copy-source-if-none-match'] !== undefined
            ? { ifNoneMatch: ctx.headers['x-oss-copy-source-if-none-match'] }
            : {}),
          ...(ctx.headers['x-oss-copy-source-if-modified-since'] !== undefined
            ? { ifModifiedSince: ctx.headers['x-oss-copy-source-if-modified-since'] }
            : {}),
          ...(ctx.headers['x-oss-copy-source-if-unmodified-since'] !== undefined
            ? { ifUnmodifiedSince: ctx.headers['x-oss-copy-source-if-unmodified-since'] }
            : {}),
        },
        src.etag,
        src.lastModified,
      );
      if (outcome.kind !== 'proceed') throw OssErrors.preconditionFailed(outcome.condition);
      if (rangeHeader === undefined) return src.size === 0 ? undefined : { start: 0, end: src.size - 1 };
      const m = /^bytes=(\d+)-(\d+)$/.exec(rangeHeader.trim());
      if (!m || Number(m[1]) > Number(m[2]) || Number(m[2]) >= src.size) {
        throw OssErrors.invalidArgument(
          'The x-oss-copy-source-range is invalid.',
          'x-oss-copy-source-range',
          rangeHeader,
        );
      }
      return { start: Number(m[1]), end: Number(m[2]) };
    },
    source.versionId,
  );
  const staged = await state.engine.stage((stream ?? []) as AsyncIterable<Uint8Array>);
  const etag = etagFromMd5(staged.md5);
  const part = await state.engine.putPart(bucket, uploadId, partNumber, staged, etag);
  ctx.sendXml(
    200,
    el('CopyPartResult', [el('LastModified', isoTime(part.lastModified)), el('ETag', quoteEtag(etag))]),
    {
      etag: quoteEtag(etag),
      'x-oss-hash-crc64ecma': staged.crc64,
    },
  );
};

/**
 * CompleteMultipartUpload: validates the part list (multipart.ts), joins the parts and answers with the
 * OSS multipart ETag in both the XML and the `ETag` header (ali-oss reads the header).
 */
export const completeMultipartUpload: Handler = async (ctx, state) => {
  const { bucket } = ctx.target!;
  const key = requireKey(ctx);
  const uploadId = ctx.param('uploadId') ?? '';
  const upload = state.engine.requireUpload(bucket, uploadId, key);
  const body = (await ctx.readBody(16 * 1024 * 1024)).toString('utf8');
  let parts: ReturnType<typeof selectParts>;
  if ((ctx.headers['x-oss-complete-all'] ?? '').toLowerCase() === 'yes') {
    if (body.trim() !== '')
      throw OssErrors.invalidArgument(
        'The body must be empty when x-oss-complete-all is yes.',
        'x-oss-complete-all',
        'yes',
      );
    parts = selectParts(
      upload.parts,
      [...upload.parts.values()]
        .sort((a, b) => a.partNumber - b.partNumber)
        .map((p) => ({ partNumber: p.partNumber, etag: p.etag })),
    );
  } else {
    const root = parseXml(body).CompleteMultipartUpload;
    if (root === undefined) throw OssErrors.malformedXml();
    const requested = children(root, 'Part').map((p): RequestedPart => {
      const n = text(p, 'PartNumber')?.trim();
      const etag = text(p, 'ETag');
      if (n === undefined || !/^\d+$/.test(n) || etag === undefined) throw OssErrors.malformedXml();
      return { partNumber: Number(n), etag };
    });
    parts = selectParts(upload.parts, requested);
  }
  const u = upload.record;
  const etag = multipartEtag(parts.map((p) => p.etag));
  const committed = await state.engine.completeUpload(
    bucket,
    uploadId,
    parts,
    {
      etag,
      lastModified: state.clock.nowSeconds(),
      type: 'Multipart',
      storageClass: u.storageClass,
      uploadId,
      ...(u.headers ? { headers: u.headers } : {}),
      ...(u.meta ? { meta: u.meta } : {}),
      ...(u.sse ? { sse: u.sse } : {}),
      ...(u.acl ? { acl: u.acl } : {}),
      ...(u.tags ? { tags: u.tags } : {}),
    },
    { forbidOverwrite: forbidsOverwrite(ctx) },
  );
  notifyCreated(ctx, state, 'ObjectCreated:CompleteMultipartUpload', bucket, committed);
  const encode = listEncoder(ctx);
  const host = ctx.headers.host ?? `${bucket}.oss-${state.region}.aliyuncs.com`;
  ctx.sendXml(
    200,
    el('CompleteMultipartUploadResult', [
      ctx.param('encoding-type') === 'url' && el('EncodingType', 'url'),
      el('Location', `http://${host}/${encode(key)}`),
      el('Bucket', bucket),
      el('Key', encode(key)),
      el('ETag', quoteEtag(etag)),
    ]),
    {
      etag: quoteEtag(etag),
      'x-oss-hash-crc64ecma': committed.record.crc64,
      ...sseHeaders(committed.record),
      ...versionHeader(committed.record, state.engine.requireBucket(bucket).config),
    },
  );
};

/** AbortMultipartUpload: 204. */
export const abortMultipartUpload: Handler = async (ctx, state) => {
  const key = requireKey(ctx);
  await state.engine.abortUpload(ctx.target!.bucket, ctx.param('uploadId') ?? '', key);
  ctx.send(204);
};

/** ListParts: max-parts (≤1000) and part-number-marker paging. */
export const listParts: Handler = async (ctx, state) => {
  const { bucket } = ctx.target!;
  const key = requireKey(ctx);
  const uploadId = ctx.param('uploadId') ?? '';
  const upload = state.engine.requireUpload(bucket, uploadId, key);
  const maxParts = parseMaxKeys(ctx.param('max-parts'), 'max-parts', 1000, 1000);
  const rawMarker = ctx.param('part-number-marker') ?? '';
  if (rawMarker !== '' && !/^\d+$/.test(rawMarker))
    throw OssErrors.invalidArgument('part-number-marker must be an integer.', 'part-number-marker', rawMarker);
  const marker = rawMarker === '' ? 0 : Number(rawMarker);
  const all = [...upload.parts.values()]
    .filter((p) => p.partNumber > marker)
    .sort((a, b) => a.partNumber - b.partNumber);
  const page = all.slice(0, maxParts);
  const truncated = all.length > maxParts;
  const encode = listEncoder(ctx);
  ctx.sendXml(
    200,
    el('ListPartsResult', [
      el('Bucket', bucket),
      el('Key', encode(key)),
      el('UploadId', uploadId),
      el('PartNumberMarker', marker),
      el('NextPartNumberMarker', page.at(-1)?.partNumber ?? marker),
      el('MaxParts', maxParts),
      el('IsTruncated', truncated),
      ctx.param('encoding-type') === 'url' && el('EncodingType', 'url'),
      ...page.map((p) =>
        el('Part', [
          el('PartNumber', p.partNumber),
          el('LastModified', isoTime(p.lastModified)),
          el('ETag', quoteEtag(p.etag)),
          el('Size', p.size),
        ]),
      ),
    ]),
  );
};

/** ListMultipartUploads: prefix, delimiter, key-marker, upload-id-marker, max-uploads. */
export const listMultipartUploads: Handler = async (ctx, state) => {
  const { bucket } = ctx.target!;
  const uploads = state.engine.requireBucket(bucket).uploads;
  const encode = listEncoder(ctx);
  const prefix = ctx.param('prefix') ?? '';
  const delimiter = ctx.param('delimiter') ?? '';
  const keyMarker = ctx.param('key-marker') ?? '';
  const idMarker = ctx.param('upload-id-marker') ?? '';
  const max = parseMaxKeys(ctx.param('max-uploads'), 'max-uploads', 1000, 1000);
  const sorted = [...uploads.values()]
    .filter((u) => !u.completing && u.record.key.startsWith(prefix))
    .map((u) => u.record)
    // Uploads of one key in upload id order, as OSS lists them (upload-id-marker pages through that order).
    .sort((a, b) => compareKeys(a.key, b.key) || (a.uploadId < b.uploadId ? -1 : a.uploadId > b.uploadId ? 1 : 0));
  const entries: Array<{ upload?: (typeof sorted)[number]; prefix?: string }> = [];
  const seenPrefixes = new Set<string>();
  let truncated = false;
  for (const u of sorted) {
    const cmp = compareKeys(u.key, keyMarker);
    if (keyMarker !== '' && (cmp < 0 || (cmp === 0 && (idMarker === '' || u.uploadId <= idMarker)))) continue;
    // A marker that is a common prefix stands for every upload under it.
    if (delimiter !== '' && keyMarker.endsWith(delimiter) && u.key.startsWith(keyMarker)) continue;
    const d = delimiter === '' ? -1 : u.key.indexOf(delimiter, prefix.length);
    const common = d === -1 ? undefined : u.key.slice(0, d + delimiter.length);
    if (common !== undefined && seenPrefixes.has(common)) continue;
    if (entries.length === max) {
      truncated = true;
      break;
    }
    if (common !== undefined) {
      seenPrefixes.add(common);
      entries.push({ prefix: common });
    } else entries.push({ upload: u });
  }
  const last = entries.at(-1);
  ctx.sendXml(
    200,
    el('ListMultipartUploadsResult', [
      el('Bucket', bucket),
      el('KeyMarker', encode(keyMarker)),
      el('UploadIdMarker', idMarker),
      el('NextKeyMarker', last ? encode(last.upload?.key ?? last.prefix!) : ''),
      el('NextUploadIdMarker', last?.upload?.uploadId ?? ''),
      el('Delimiter', encode(delimiter)),
      el('Prefix', encode(prefix)),
      el('MaxUploads', max),
      el('IsTruncated', truncated),
      ctx.param('encoding-type') === 'url' && el('EncodingType', 'url'),
      ...entries
        .filter((e) => e.upload)
        .map((e) =>
          el('Upload', [
            el('Key', encode(e.upload!.key)),
            el('UploadId', e.upload!.uploadId),
            el('Initiated', isoTime(e.upload!.initiated)),
          ]),
        ),
      ...entries
        .filter((e) => e.prefix !== undefined)
        .map((e) => el('CommonPrefixes', [el('Prefix', encode(e.prefix!))])),
    ]),
  );
};
