import { bucketNameProblem } from '../../../shared/layout';
import { corsXml, parseCorsXml, preflight } from '../cors';
import { OssErrors } from '../errors';
import type { RequestContext } from '../http/context';
import type { BucketConfig } from '../store/types';
import { children, el, parseXml, text } from '../xml';
import { BUCKET_ACLS, STORAGE_CLASSES } from './object-attrs';
import { isoTime, ownerXml } from './response';
import type { Handler, ServerState } from './types';

const REDUNDANCY = ['LRS', 'ZRS'];

function endpoints(state: ServerState) {
  return { extranet: `oss-${state.region}.aliyuncs.com`, intranet: `oss-${state.region}-internal.aliyuncs.com` };
}

function parseBucketAcl(value: string | undefined, fallback: string): string {
  if (value === undefined) return fallback;
  if (!BUCKET_ACLS.includes(value))
    throw OssErrors.invalidArgument('no such bucket access control exists', 'x-oss-acl', value);
  return value;
}

/**
 * PutBucket, with an optional `CreateBucketConfiguration` (StorageClass, DataRedundancyType). Putting a
 * bucket you already own with the same settings succeeds, as on OSS; changing its storage class or
 * redundancy is 409 BucketAlreadyExists.
 */
export const putBucket: Handler = async (ctx, state) => {
  const name = ctx.target!.bucket;
  if (bucketNameProblem(name)) throw OssErrors.invalidBucketName(name);
  const body = (await ctx.readBody(64 * 1024)).toString('utf8');
  let storageClass = 'Standard';
  let redundancy = 'LRS';
  if (body.trim() !== '') {
    const root = parseXml(body).CreateBucketConfiguration;
    if (root === undefined) throw OssErrors.malformedXml();
    const sc = text(root, 'StorageClass')?.trim();
    if (sc !== undefined) {
      const match = STORAGE_CLASSES.find((c) => c.toLowerCase() === sc.toLowerCase());
      if (!match) throw OssErrors.invalidArgument('Invalid storage class.', 'StorageClass', sc);
      storageClass = match;
    }
    const dr = text(root, 'DataRedundancyType')?.trim();
    if (dr !== undefined) {
      if (!REDUNDANCY.includes(dr))
        throw OssErrors.invalidArgument('Invalid data redundancy type.', 'DataRedundancyType', dr);
      redundancy = dr;
    }
  }
  const acl = parseBucketAcl(ctx.headers['x-oss-acl'], 'private');
  const created = await state.engine.createBucket({ name, created: state.clock.now(), storageClass, redundancy, acl });
  if (!created) {
    const existing = state.engine.requireBucket(name).config;
    if (existing.storageClass !== storageClass)
      throw OssErrors.bucketAlreadyExists(name, "Cannot modify existing bucket's storage class.");
    if (existing.redundancy !== redundancy)
      throw OssErrors.bucketAlreadyExists(name, "Bucket already exists can't modify data redundancy type.");
    if (ctx.headers['x-oss-acl'] !== undefined) await state.engine.updateBucket(name, (c) => ({ ...c, acl }));
  }
  ctx.send(200, { location: `/${name}` });
};

/** DeleteBucket: 204; 409 BucketNotEmpty while it holds objects or multipart uploads. */
export const deleteBucket: Handler = async (ctx, state) => {
  await state.engine.deleteBucket(ctx.target!.bucket);
  ctx.send(204);
};

/** A HEAD on a bucket: 200 when it exists (not an OSS API, but browsers and tools probe this way). */
export const headBucket: Handler = async (ctx, state) => {
  state.engine.requireBucket(ctx.target!.bucket);
  ctx.send(200);
};

function bucketXml(state: ServerState, c: BucketConfig) {
  const ep = endpoints(state);
  return [
    el('CreationDate', isoTime(c.created)),
    el('ExtranetEndpoint', ep.extranet),
    el('IntranetEndpoint', ep.intranet),
    el('Location', `oss-${state.region}`),
    el('Name', c.name),
    el('Region', state.region),
    el('StorageClass', c.storageClass),
  ];
}

/** ListBuckets (GetService), with prefix, marker and max-keys. `<Owner>` is required by ali-oss. */
export const listBuckets: Handler = async (ctx, state) => {
  const prefix = ctx.param('prefix') ?? '';
  const marker = ctx.param('marker') ?? '';
  const rawMax = ctx.param('max-keys');
  const max = rawMax === undefined || rawMax === '' ? 1000 : Number(rawMax);
  if (!Number.isInteger(max) || max < 1 || max > 1000)
    throw OssErrors.invalidArgument('Argument max-keys must be an integer between 1 and 1000.', 'max-keys', rawMax);
  const all = state.engine.listBuckets().filter((b) => b.name.startsWith(prefix) && b.name > marker);
  const page = all.slice(0, max);
  const truncated = all.length > max;
  ctx.sendXml(
    200,
    el('ListAllMyBucketsResult', [
      (ctx.has('prefix') || ctx.has('marker') || ctx.has('max-keys')) && el('Prefix', prefix),
      (ctx.has('prefix') || ctx.has('marker') || ctx.has('max-keys')) && el('Marker', marker),
      (ctx.has('prefix') || ctx.has('marker') || ctx.has('max-keys')) && el('MaxKeys', max),
      (ctx.has('prefix') || ctx.has('marker') || ctx.has('max-keys')) && el('IsTruncated', truncated),
      truncated && el('NextMarker', page.at(-1)!.name),
      ownerXml(state),
      el(
        'Buckets',
        page.map((c) => el('Bucket', bucketXml(state, c))),
      ),
    ]),
  );
};

/** GetBucketInfo. */
export const getBucketInfo: Handler = async (ctx, state) => {
  const c = state.engine.requireBucket(ctx.target!.bucket).config;
  ctx.sendXml(
    200,
    el('BucketInfo', [
      el('Bucket', [
        el('AccessMonitor', 'Disabled'),
        ...bucketXml(state, c),
        el('TransferAcceleration', 'Disabled'),
        el('CrossRegionReplication', 'Disabled'),
        el('DataRedundancyType', c.redundancy),
        c.versioning !== undefined && el('Versioning', c.versioning),
        ownerXml(state),
        el('AccessControlList', [el('Grant', c.acl)]),
        el('ServerSideEncryptionRule', [el('SSEAlgorithm', 'None')]),
        el('BucketPolicy', [el('LogBucket', ''), el('LogPrefix', '')]),
      ]),
    ]),
  );
};

/** GetBucketLocation. */
export const getBucketLocation: Handler = async (ctx, state) => {
  state.engine.requireBucket(ctx.target!.bucket);
  ctx.sendXml(200, el('LocationConstraint', `oss-${state.region}`));
};

/** PutBucketACL (`x-oss-acl`). */
export const putBucketAcl: Handler = async (ctx, state) => {
  const acl = parseBucketAcl(ctx.headers['x-oss-acl'] ?? '', 'private');
  await state.engine.updateBucket(ctx.target!.bucket, (c) => ({ ...c, acl }));
  ctx.send(200);
};

/** GetBucketACL. */
export const getBucketAcl: Handler = async (ctx, state) => {
  const c = state.engine.requireBucket(ctx.target!.bucket).config;
  ctx.sendXml(200, el('AccessControlPolicy', [ownerXml(state), el('AccessControlList', [el('Grant', c.acl)])]));
};

/** PutBucketCors: replaces the rules. */
export const putBucketCors: Handler = async (ctx, state) => {
  const cors = parseCorsXml((await ctx.readBody(64 * 1024)).toString('utf8'));
  await state.engine.updateBucket(ctx.target!.bucket, (c) => ({ ...c, cors }));
  ctx.send(200);
};

/** GetBucketCors: 404 NoSuchCORSConfiguration when none is set. */
export const getBucketCors: Handler = async (ctx, state) => {
  const c = state.engine.requireBucket(ctx.target!.bucket).config;
  if (!c.cors) throw OssErrors.noSuchCors();
  ctx.sendXml(200, corsXml(c.cors));
};

/** DeleteBucketCors: 204. */
export const deleteBucketCors: Handler = async (ctx, state) => {
  await state.engine.updateBucket(ctx.target!.bucket, ({ cors: _cors, ...rest }) => rest);
  ctx.send(204);
};

/** PutBucketLifecycle: the rules are checked for shape and stored; expiry is not run locally. */
export const putBucketLifecycle: Handler = async (ctx, state) => {
  const body = (await ctx.readBody(64 * 1024)).toString('utf8');
  const root = parseXml(body).LifecycleConfiguration;
  if (root === undefined) throw OssErrors.malformedXml();
  const rules = children(root, 'Rule');
  if (rules.length === 0 || rules.length > 1000) throw OssErrors.malformedXml();
  for (const rule of rules) {
    const status = text(rule, 'Status')?.trim();
    if (status !== 'Enabled' && status !== 'Disabled') throw OssErrors.malformedXml();
  }
  await state.engine.updateBucket(ctx.target!.bucket, (c) => ({ ...c, lifecycle: body }));
  ctx.send(200);
};

/** GetBucketLifecycle: the stored document; 404 NoSuchLifecycle when none is set. */
export const getBucketLifecycle: Handler = async (ctx, state) => {
  const c = state.engine.requireBucket(ctx.target!.bucket).config;
  if (!c.lifecycle) throw OssErrors.noSuchLifecycle();
  ctx.send(200, { 'content-type': 'application/xml' }, c.lifecycle);
};

/** DeleteBucketLifecycle: 204. */
export const deleteBucketLifecycle: Handler = async (ctx, state) => {
  await state.engine.updateBucket(ctx.target!.bucket, ({ lifecycle: _l, ...rest }) => rest);
  ctx.send(204);
};

/** OPTIONS preflight, answered from the bucket's CORS rules without authentication. */
export function answerPreflight(ctx: RequestContext, state: ServerState): void {
  const bucket = ctx.target?.bucket ?? '';
  const config = bucket === '' ? undefined : state.engine.requireBucket(bucket).config;
  const headers = preflight(
    config?.cors,
    ctx.headers.origin,
    ctx.headers['access-control-request-method'],
    ctx.headers['access-control-request-headers'],
  );
  ctx.send(200, headers);
}
