import { createHash } from 'node:crypto';
import { MAX_SINGLE_PUT_BYTES } from '../../../shared/storage/limits';
import { evaluatePreconditions, type Preconditions } from '../conditions';
import { OssErrors } from '../errors';
import { quoteEtag } from '../etag';
import type { RequestContext } from '../http/context';
import { decideRange } from '../range';
import { requireReadable } from '../restore';
import type { Deleted, ReadPlan } from '../store/engine';
import type { ObjectRecord, StagedBlob } from '../store/types';
import { versionIdOf } from '../store/versions';
import { children, el, parseXml, text, type XmlElement } from '../xml';
import {
  attrsFromHeaders,
  checkTags,
  effectiveAcl,
  parseObjectAcl,
  parseTagHeader,
  sseOf,
  storageClassOf,
} from './object-attrs';
import { commitNormalObject, notifyCreated, notifyRemoved } from './publish';
import { expectedMd5, forbidsOverwrite, parseCopySource, requireKey, requireLength, versionParam } from './request';
import { isoTime, objectHeaders, ownerXml, sseHeaders, versionHeader } from './response';
import type { Handler, ServerState } from './types';

/** Refuses a staged body whose Content-MD5 or x-oss-hash-crc64ecma does not match what was received. */
async function checkDigests(
  ctx: RequestContext,
  state: ServerState,
  staged: StagedBlob,
  md5: Buffer | undefined,
  chunkMd5 = staged.md5,
): Promise<void> {
  const crc = ctx.headers['x-oss-hash-crc64ecma'];
  if ((md5 && !md5.equals(chunkMd5)) || (crc !== undefined && crc.trim() !== staged.crc64)) {
    await state.engine.discard(staged);
    throw md5 && !md5.equals(chunkMd5) ? OssErrors.invalidDigest() : OssErrors.invalidCrc64();
  }
}

/** PutObject (docs/oss-protocol.md §4.1). */
export const putObject: Handler = async (ctx, state) => {
  const { bucket } = ctx.target!;
  const key = requireKey(ctx);
  const config = state.engine.requireBucket(bucket).config;
  const attrs = attrsFromHeaders(ctx.headers, config);
  const md5 = expectedMd5(ctx.headers['content-md5']);
  requireLength(ctx);
  const forbid = forbidsOverwrite(ctx);
  // Fail before reading a body that could not be stored anyway.
  if (forbid && state.engine.wouldOverwrite(bucket, key)) throw OssErrors.fileAlreadyExists();
  const staged = await state.engine.stage(ctx.body(), {
    maxBytes: MAX_SINGLE_PUT_BYTES,
    tooLarge: () => OssErrors.entityTooLarge(),
  });
  await checkDigests(ctx, state, staged, md5);
  const { committed, etag } = await commitNormalObject(
    ctx,
    state,
    'ObjectCreated:PutObject',
    { bucket, key, forbidOverwrite: forbid },
    staged,
    attrs,
  );
  ctx.send(200, {
    etag: quoteEtag(etag),
    'x-oss-hash-crc64ecma': staged.crc64,
    'content-md5': staged.md5.toString('base64'),
    ...sseHeaders(committed.record),
    ...versionHeader(committed.record, config),
  });
};

function preconditionsOf(h: Readonly<Record<string, string | undefined>>, prefix = ''): Preconditions {
  const get = (name: string) => h[`${prefix}${name}`];
  return {
    ...(get('if-match') !== undefined ? { ifMatch: get('if-match')! } : {}),
    ...(get('if-none-match') !== undefined ? { ifNoneMatch: get('if-none-match')! } : {}),
    ...(get('if-modified-since') !== undefined ? { ifModifiedSince: get('if-modified-since')! } : {}),
    ...(get('if-unmodified-since') !== undefined ? { ifUnmodifiedSince: get('if-unmodified-since')! } : {}),
  };
}

const RESPONSE_OVERRIDES: Array<[string, string]> = [
  ['response-content-type', 'content-type'],
  ['response-content-language', 'content-language'],
  ['response-expires', 'expires'],
  ['response-cache-control', 'cache-control'],
  ['response-content-disposition', 'content-disposition'],
  ['response-content-encoding', 'content-encoding'],
];

/** Anonymous reads need a public ACL on the object or, when it has none, on the bucket. */
function checkAnonymousRead(ctx: RequestContext, state: ServerState, record: ObjectRecord): void {
  if (ctx.principal) return;
  const acl = effectiveAcl(record, state.engine.requireBucket(ctx.target!.bucket).config);
  if (acl !== 'public-read' && acl !== 'public-read-write') throw OssErrors.accessDenied();
}

/** An anonymous reader of a missing key in a private bucket learns nothing: 403, not 404. */
function checkAnonymousMissing(ctx: RequestContext, state: ServerState, key: string): void {
  if (ctx.principal || state.engine.get(ctx.target!.bucket, key)) return;
  const acl = state.engine.requireBucket(ctx.target!.bucket).config.acl;
  if (acl === 'private') throw OssErrors.accessDenied();
}

/** GetObject and HeadObject: preconditions, Range (§4.2), response-* overrides, the whole-object CRC. */
export const getObject: Handler = async (ctx, state) => {
  const { bucket } = ctx.target!;
  const key = requireKey(ctx);
  checkAnonymousMissing(ctx, state, key);
  const overrides = RESPONSE_OVERRIDES.filter(([param]) => ctx.has(param));
  if (overrides.length > 0 && !ctx.principal) {
    throw OssErrors.invalidRequest('Request specific response headers cannot be used for anonymous GET requests.');
  }
  const standard = (ctx.headers['x-oss-range-behavior'] ?? '').toLowerCase() === 'standard';
  const versionId = versionParam(ctx);
  let notModified = false;
  let partial = false;
  let headRange: ReadPlan;
  const { record, range, stream } = await state.engine.openObject(
    bucket,
    key,
    (rec): ReadPlan => {
      checkAnonymousRead(ctx, state, rec);
      const outcome = evaluatePreconditions(preconditionsOf(ctx.headers), rec.etag, rec.lastModified);
      if (outcome.kind === 'failed') throw OssErrors.preconditionFailed(outcome.condition);
      if (outcome.kind === 'not-modified') {
        notModified = true;
        return undefined;
      }
      if (ctx.method !== 'HEAD') requireReadable(rec, state.clock.now());
      const decision = decideRange(ctx.headers.range, rec.size, standard);
      if (decision.kind === 'unsatisfiable') throw OssErrors.invalidRange();
      const plan =
        decision.kind === 'partial' ? { start: decision.start, end: decision.end } : { start: 0, end: rec.size - 1 };
      partial = decision.kind === 'partial';
      if (ctx.method === 'HEAD') {
        // Remember the range for the headers, but read nothing.
        headRange = plan;
        return undefined;
      }
      return rec.size === 0 ? undefined : plan;
    },
    versionId,
  );
  const headers = { ...objectHeaders(record), ...versionHeader(record, state.engine.requireBucket(bucket).config) };
  if (notModified) {
    ctx.send(304, { etag: headers.etag, 'last-modified': headers['last-modified'], ...versionHeader(record, {}) });
    return;
  }
  for (const [param, header] of overrides) headers[header] = ctx.param(param);
  const span = range ?? headRange ?? { start: 0, end: record.size - 1 };
  const length = record.size === 0 ? 0 : span.end - span.start + 1;
  headers['content-length'] = String(length);
  if (partial) headers['content-range'] = `bytes ${span.start}-${span.end}/${record.size}`;
  const status = partial ? 206 : 200;
  if (!stream) {
    ctx.send(status, headers);
    return;
  }
  await ctx.stream(status, headers, stream);
};

/** GetObjectMeta (`HEAD ?objectMeta`): the short header set of §4.3. */
export const getObjectMeta: Handler = async (ctx, state) => {
  const key = requireKey(ctx);
  checkAnonymousMissing(ctx, state, key);
  const { record } = await state.engine.openObject(
    ctx.target!.bucket,
    key,
    (rec) => {
      checkAnonymousRead(ctx, state, rec);
      return undefined;
    },
    versionParam(ctx),
  );
  ctx.send(200, {
    ...versionHeader(record, state.engine.requireBucket(ctx.target!.bucket).config),
    etag: quoteEtag(record.etag),
    'content-length': String(record.size),
    'last-modified': new Date(record.lastModified).toUTCString(),
    'x-oss-hash-crc64ecma': record.crc64,
    'x-oss-last-access-time': new Date(record.lastModified).toUTCString(),
  });
};

/** The response headers of one deletion: which version went, or which delete marker was added. */
function deletedHeaders(done: Deleted, versionId: string | undefined): Record<string, string> {
  if (done.marker) return { 'x-oss-delete-marker': 'true', 'x-oss-version-id': versionIdOf(done.marker) };
  if (versionId === undefined) return {};
  return { 'x-oss-version-id': versionId, ...(done.removed?.deleteMarker ? { 'x-oss-delete-marker': 'true' } : {}) };
}

/**
 * DeleteObject: 204 whether or not the key existed (§4.4). With versioning, no `versionId` adds a delete
 * marker and a `versionId` removes that version (docs/local-oss-server.md "Versioning"). An event only
 * when an object or version is removed for good: OSS sends none for a delete marker.
 */
export const deleteObject: Handler = async (ctx, state) => {
  const { bucket } = ctx.target!;
  const key = requireKey(ctx);
  const versionId = versionParam(ctx);
  const done = await state.engine.deleteObject(bucket, key, versionId);
  if (done.removed && !done.removed.deleteMarker && !done.marker)
    notifyRemoved(ctx, state, 'ObjectRemoved:DeleteObject', bucket, done.removed);
  ctx.send(204, deletedHeaders(done, versionId));
};

/** DeleteMultipleObjects (§4.5): Content-MD5 required, at most 1000 keys and 2 MB, Quiet mode. */
export const deleteMultipleObjects: Handler = async (ctx, state) => {
  const { bucket } = ctx.target!;
  state.engine.requireBucket(bucket);
  const md5 = expectedMd5(ctx.headers['content-md5']);
  if (!md5) throw OssErrors.invalidRequest('Missing required header for this request: Content-MD5.');
  if (ctx.headers['content-length'] === undefined) throw OssErrors.missingContentLength();
  const encodingType = ctx.param('encoding-type');
  if (encodingType !== undefined && encodingType !== 'url')
    throw OssErrors.invalidArgument('Invalid Encoding Method specified in Request', 'encoding-type', encodingType);
  const body = await ctx.readBody(2 * 1024 * 1024);
  if (!createHash('md5').update(body).digest().equals(md5)) throw OssErrors.invalidDigest();
  const doc = parseXml(body.toString('utf8'));
  const root = doc.Delete;
  if (root === undefined) throw OssErrors.malformedXml();
  const objects = children(root, 'Object');
  if (objects.length === 0 || objects.length > 1000) throw OssErrors.malformedXml();
  const quiet = (text(root, 'Quiet') ?? 'false').trim().toLowerCase() === 'true';
  const targets = objects.map((o) => {
    const key = text(o, 'Key');
    if (key === undefined) throw OssErrors.malformedXml();
    const versionId = text(o, 'VersionId')?.trim();
    return {
      key: encodingType === 'url' ? decodeURIComponentSafe(key) : key,
      versionId: versionId === '' ? undefined : versionId,
    };
  });
  const results: XmlElement[] = [];
  const show = (k: string) => (encodingType === 'url' ? encodeURIComponent(k) : k);
  for (const { key, versionId } of targets) {
    const done = await state.engine.deleteObject(bucket, key, versionId);
    if (done.removed && !done.removed.deleteMarker && !done.marker)
      notifyRemoved(ctx, state, 'ObjectRemoved:DeleteObjects', bucket, done.removed);
    results.push(
      el('Deleted', [
        el('Key', show(key)),
        versionId !== undefined && el('VersionId', versionId),
        done.marker && el('DeleteMarker', true),
        done.marker && el('DeleteMarkerVersionId', versionIdOf(done.marker)),
        versionId !== undefined && done.removed?.deleteMarker && el('DeleteMarker', true),
        versionId !== undefined && done.removed?.deleteMarker && el('DeleteMarkerVersionId', versionId),
      ]),
    );
  }
  if (quiet) {
    ctx.send(200);
    return;
  }
  ctx.sendXml(200, el('DeleteResult', [...results, encodingType === 'url' && el('EncodingType', 'url')]));
};

function decodeURIComponentSafe(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    throw OssErrors.malformedXml();
  }
}

/** CopyObject (§4.6): source preconditions, COPY/REPLACE metadata, tagging directive, forbid-overwrite. */
export const copyObject: Handler = async (ctx, state) => {
  const { bucket } = ctx.target!;
  const key = requireKey(ctx);
  const source = parseCopySource(ctx.headers['x-oss-copy-source']!);
  state.engine.requireBucket(source.bucket);
  const config = state.engine.requireBucket(bucket).config;
  const directive = (ctx.headers['x-oss-metadata-directive'] ?? 'COPY').toUpperCase();
  if (directive !== 'COPY' && directive !== 'REPLACE')
    throw OssErrors.invalidArgument('Invalid metadata directive.', 'x-oss-metadata-directive', directive);
  const tagDirective = (ctx.headers['x-oss-tagging-directive'] ?? 'Copy').toLowerCase();
  if (tagDirective !== 'copy' && tagDirective !== 'replace')
    throw OssErrors.invalidArgument('Invalid tagging directive.', 'x-oss-tagging-directive', tagDirective);
  const replaced = directive === 'REPLACE' ? attrsFromHeaders(ctx.headers, config) : undefined;
  const acl = parseObjectAcl(ctx.headers['x-oss-object-acl']);
  const tags = tagDirective === 'replace' ? parseTagHeader(ctx.headers['x-oss-tagging'] ?? '') : undefined;
  const sse = sseOf(ctx.headers);
  // Every failed source condition is 412, naming it as OSS does (If-None-Match, not 304 as for GET).
  const check = (src: ObjectRecord) => {
    requireReadable(src, state.clock.now());
    const outcome = evaluatePreconditions(
      preconditionsOf(ctx.headers, 'x-oss-copy-source-'),
      src.etag,
      src.lastModified,
    );
    if (outcome.kind !== 'proceed') throw OssErrors.preconditionFailed(outcome.condition);
  };
  const committed = await state.engine.copyObject(
    source,
    bucket,
    key,
    (src) => ({
      size: src.size,
      etag: src.etag,
      ...(src.contentMd5 !== undefined ? { contentMd5: src.contentMd5 } : {}),
      crc64: src.crc64,
      lastModified: state.clock.nowSeconds(),
      type: src.type === 'Appendable' ? 'Normal' : src.type,
      storageClass: storageClassOf(ctx.headers['x-oss-storage-class'], src.storageClass),
      ...(replaced ? { headers: replaced.headers, ...(replaced.meta ? { meta: replaced.meta } : {}) } : pick(src)),
      ...(sse.sse ? sse : src.sse ? { sse: src.sse } : {}),
      ...(acl !== undefined ? { acl } : {}),
      ...(tags !== undefined ? (tags.length > 0 ? { tags } : {}) : src.tags ? { tags: src.tags } : {}),
    }),
    { forbidOverwrite: forbidsOverwrite(ctx), check },
  );
  notifyCreated(ctx, state, 'ObjectCreated:CopyObject', bucket, committed);
  ctx.sendXml(
    200,
    el('CopyObjectResult', [
      el('ETag', quoteEtag(committed.record.etag)),
      el('LastModified', isoTime(committed.record.lastModified)),
    ]),
    {
      etag: quoteEtag(committed.record.etag),
      'x-oss-hash-crc64ecma': committed.record.crc64,
      ...sseHeaders(committed.record),
      ...versionHeader(committed.record, config),
      ...(committed.source.versionId !== undefined || state.engine.requireBucket(source.bucket).config.versioning
        ? { 'x-oss-copy-source-version-id': versionIdOf(committed.source) }
        : {}),
    },
  );
};

function pick(src: ObjectRecord): Pick<ObjectRecord, 'headers' | 'meta'> {
  return { ...(src.headers ? { headers: src.headers } : {}), ...(src.meta ? { meta: src.meta } : {}) };
}

/** AppendObject (§4.10): position must equal the current length; only Appendable objects grow. */
export const appendObject: Handler = async (ctx, state) => {
  const { bucket } = ctx.target!;
  const key = requireKey(ctx);
  const raw = ctx.param('position');
  if (raw === undefined || !/^\d+$/.test(raw))
    throw OssErrors.invalidArgument('Position must be a non-negative integer.', 'position', raw ?? '');
  const position = Number(raw);
  const config = state.engine.requireBucket(bucket).config;
  const attrs = attrsFromHeaders(ctx.headers, config);
  const md5 = expectedMd5(ctx.headers['content-md5']);
  requireLength(ctx);
  // The whole object's MD5 becomes the ETag; the appended bytes' own MD5 is checked against Content-MD5.
  const chunkHash = createHash('md5');
  const body = ctx.body();
  const hashed = (async function* () {
    for await (const chunk of body) {
      chunkHash.update(chunk);
      yield chunk;
    }
  })();
  const committed = await state.engine.appendObject(
    bucket,
    key,
    position,
    hashed,
    { ...attrs, lastModified: state.clock.nowSeconds() },
    { maxBytes: MAX_SINGLE_PUT_BYTES, tooLarge: () => OssErrors.entityTooLarge() },
    () => {
      if (md5 && !md5.equals(chunkHash.digest())) throw OssErrors.invalidDigest();
    },
  );
  notifyCreated(ctx, state, 'ObjectCreated:AppendObject', bucket, committed, position);
  ctx.send(200, {
    etag: quoteEtag(committed.record.etag),
    'x-oss-next-append-position': String(committed.record.size),
    'x-oss-hash-crc64ecma': committed.record.crc64,
    ...sseHeaders(committed.record),
    ...versionHeader(committed.record, config),
  });
};

/** PutObjectACL (`x-oss-object-acl`). */
export const putObjectAcl: Handler = async (ctx, state) => {
  const key = requireKey(ctx);
  const value = ctx.headers['x-oss-object-acl'];
  if (value === undefined)
    throw OssErrors.invalidArgument('no such object access control exists', 'x-oss-object-acl', '');
  const acl = parseObjectAcl(value);
  const versionId = versionParam(ctx);
  await state.engine.updateObject(
    ctx.target!.bucket,
    key,
    (r) => {
      const { acl: _old, ...rest } = r;
      return acl === undefined ? rest : { ...rest, acl };
    },
    versionId,
  );
  ctx.send(200, versionId !== undefined ? { 'x-oss-version-id': versionId } : {});
};

/** GetObjectACL. */
export const getObjectAcl: Handler = async (ctx, state) => {
  const key = requireKey(ctx);
  const record = state.engine.lookup(ctx.target!.bucket, key, versionParam(ctx));
  ctx.sendXml(
    200,
    el('AccessControlPolicy', [ownerXml(state), el('AccessControlList', [el('Grant', record.acl ?? 'default')])]),
  );
};

/** PutObjectTagging (§4.9). */
export const putObjectTagging: Handler = async (ctx, state) => {
  const key = requireKey(ctx);
  const doc = parseXml((await ctx.readBody(64 * 1024)).toString('utf8'));
  const set = doc.Tagging === undefined ? undefined : children(doc.Tagging, 'TagSet')[0];
  if (set === undefined) throw OssErrors.malformedXml();
  const tags = checkTags(
    children(set, 'Tag').map((t): [string, string] => {
      const k = text(t, 'Key');
      if (k === undefined) throw OssErrors.malformedXml();
      return [k, text(t, 'Value') ?? ''];
    }),
  );
  const versionId = versionParam(ctx);
  await state.engine.updateObject(
    ctx.target!.bucket,
    key,
    (r) => {
      const { tags: _old, ...rest } = r;
      return tags.length > 0 ? { ...rest, tags } : rest;
    },
    versionId,
  );
  ctx.send(200, versionId !== undefined ? { 'x-oss-version-id': versionId } : {});
};

/** GetObjectTagging: an empty `<TagSet/>` when there are none. */
export const getObjectTagging: Handler = async (ctx, state) => {
  const key = requireKey(ctx);
  const record = state.engine.lookup(ctx.target!.bucket, key, versionParam(ctx));
  ctx.sendXml(
    200,
    el('Tagging', [
      el(
        'TagSet',
        (record.tags ?? []).map(([k, v]) => el('Tag', [el('Key', k), el('Value', v)])),
      ),
    ]),
  );
};

/** DeleteObjectTagging: 204. */
export const deleteObjectTagging: Handler = async (ctx, state) => {
  const key = requireKey(ctx);
  await state.engine.updateObject(
    ctx.target!.bucket,
    key,
    (r) => {
      const { tags: _old, ...rest } = r;
      return rest;
    },
    versionParam(ctx),
  );
  ctx.send(204);
};
