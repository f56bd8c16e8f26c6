import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import type { Credentials, OssConfig } from '../config';
import { awaitsRestore, checkAddressable, checkTags, parseRestoreHeader, parseStorageClass } from './attributes';
import { type CredentialsProvider, sameCredentials } from './credentials';
import { deleteInBatches } from './delete-batches';
import { serviceEndpoint } from './endpoints';
import { StorageError, toStorageError } from './errors';
import { infoFrom, isNotFound, putHeaders, rangeHeaders, unquoteEtag } from './object-headers';
import type {
  ByteRange,
  DeleteManyResult,
  LifecycleRuleInfo,
  ListOptions,
  ListPage,
  MultipartUpload,
  ObjectBody,
  ObjectInfo,
  ObjectStore,
  ObjectTags,
  PutOptions,
  PutResult,
  UploadedPart,
} from './port';
import { readStream } from './read-stream';
import { DEFAULT_RETRY, type RetryHooks, type RetryPolicy, withRetry } from './retry';

/** The part of the ali-oss client this adapter uses (ali-oss 6.23; its typings lag behind its options). */
export interface AliOssClient {
  getBucketVersioning(bucket: string): Promise<{ versionStatus?: string }>;
  getBucketLifecycle(bucket: string): Promise<{ rules: AliLifecycleRule[] | null }>;
  head(name: string, options?: object): Promise<{ status: number; res: AliResponse }>;
  getStream(name: string, options?: object): Promise<{ stream: Readable; res: AliResponse }>;
  put(name: string, body: Buffer, options?: object): Promise<{ res: AliResponse }>;
  putStream(name: string, body: Readable, options?: object): Promise<{ res: AliResponse }>;
  copy(name: string, source: string, options?: object): Promise<{ res: AliResponse }>;
  listV2(
    query: object,
    options?: object,
  ): Promise<{
    objects?: AliListObject[];
    prefixes?: string[] | null;
    isTruncated: boolean;
    nextContinuationToken: string | null;
  }>;
  delete(name: string): Promise<unknown>;
  deleteMulti(names: string[], options?: object): Promise<{ deleted: Array<string | { Key: string }> }>;
  initMultipartUpload(name: string, options?: object): Promise<{ uploadId: string }>;
  _uploadPart(
    name: string,
    uploadId: string,
    partNo: number,
    data: { stream: Readable; size: number },
    options?: object,
  ): Promise<{ etag: string }>;
  listParts(
    name: string,
    uploadId: string,
    query?: object,
  ): Promise<{ parts: AliPart[] | AliPart; isTruncated: boolean | string; nextPartNumberMarker?: string }>;
  completeMultipartUpload(
    name: string,
    uploadId: string,
    parts: Array<{ number: number; etag: string }>,
    options?: object,
  ): Promise<{ etag: string; res: AliResponse }>;
  abortMultipartUpload(name: string, uploadId: string): Promise<unknown>;
  getObjectTagging(name: string): Promise<{ tag: Record<string, string> }>;
  putObjectTagging(name: string, tag: Record<string, string>): Promise<unknown>;
  listUploads(query: object): Promise<{
    uploads: Array<{ name: string; uploadId: string; initiated: string }>;
    isTruncated: boolean;
    nextKeyMarker?: string;
    nextUploadIdMarker?: string;
  }>;
}

/** A lifecycle rule as ali-oss returns it: XML element names with a lower-case first letter, values as strings. */
interface AliLifecycleRule {
  id?: string;
  prefix?: string;
  status?: string;
  expiration?: { days?: string; createdBeforeDate?: string };
  transition?: AliTransition | AliTransition[];
}
interface AliTransition {
  days?: string;
  storageClass?: string;
}

interface AliResponse {
  status: number;
  headers: Record<string, string | undefined>;
}
interface AliListObject {
  name: string;
  size: number;
  etag: string;
  lastModified: string;
  storageClass?: string;
}
interface AliPart {
  PartNumber: string;
  ETag: string;
  Size: string;
  LastModified: string;
}

export interface AliOssStoreOptions {
  config: OssConfig;
  credentials: CredentialsProvider;
  retry?: RetryPolicy;
  retryHooks?: RetryHooks;
  /** Request timeout in ms (ali-oss default is 60 s). */
  timeoutMs?: number;
  /** Builds the client from ali-oss options; tests substitute one. Default: `new OSS(options)`, loaded lazily. */
  clientFactory?: (options: Record<string, unknown>) => AliOssClient | Promise<AliOssClient>;
}

export { unquoteEtag };

/**
 * The object-store port on the `ali-oss` client. The client is loaded on first use (it costs tens of
 * milliseconds to load, which functions that only sign URLs should not pay at cold start) and rebuilt
 * when the credentials rotate. Idempotent operations are retried with backoff; others are not.
 */
export class AliOssStore implements ObjectStore {
  readonly bucket: string;
  private client: { credentials: Credentials; instance: AliOssClient } | undefined;
  private readonly retry: RetryPolicy;

  constructor(private readonly options: AliOssStoreOptions) {
    this.bucket = options.config.bucket;
    this.retry = options.retry ?? DEFAULT_RETRY;
  }

  async head(key: string): Promise<ObjectInfo | undefined> {
    return this.idempotent('HeadObject', key, async (c) => {
      try {
        const { res } = await c.head(key);
        return infoFrom(key, res.headers);
      } catch (error) {
        if (isNotFound(error)) return undefined;
        throw error;
      }
    });
  }

  async get(key: string, options: { range?: ByteRange } = {}): Promise<ObjectBody | undefined> {
    return this.idempotent('GetObject', key, async (c) => {
      try {
        const { stream, res } = await c.getStream(key, { headers: rangeHeaders(options.range) });
        return { info: infoFrom(key, res.headers), body: stream };
      } catch (error) {
        if (isNotFound(error)) return undefined;
        throw await explainStreamedError(c, key, error);
      }
    });
  }

  async getBuffer(key: string, options: { range?: ByteRange } = {}): Promise<Buffer | undefined> {
    // Retry the whole read: a stream that breaks half-way is as retryable as a failed request.
    return this.idempotent('GetObject', key, async () => {
      const found = await this.get(key, options);
      if (!found) return undefined;
      return readStream(found.body);
    });
  }

  async put(key: string, body: Buffer | string | Readable, options: PutOptions = {}): Promise<PutResult> {
    const headers = putHeaders(options);
    if (body instanceof Readable) {
      // A stream cannot be replayed, so a failed streamed PUT is not retried.
      return this.once('PutObject', key, async (c) => ({
        etag: unquoteEtag((await c.putStream(key, body, { headers })).res.headers.etag),
      }));
    }
    const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
    const md5 = createHash('md5').update(bytes).digest('hex').toUpperCase();
    let attempt = 0;
    return this.idempotent('PutObject', key, async (c) => {
      attempt += 1;
      try {
        return {
          etag: unquoteEtag((await c.put(key, bytes, { headers })).res.headers.etag),
        };
      } catch (error) {
        // A retried forbid-overwrite PUT whose earlier attempt landed finds its own bytes: that is success.
        if (
          attempt > 1 &&
          options.forbidOverwrite &&
          toStorageError(error, 'PutObject', key).code === 'OSS_ALREADY_EXISTS'
        ) {
          const existing = await c.head(key).catch(() => undefined);
          if (existing && unquoteEtag(existing.res.headers.etag) === md5) return { etag: md5, alreadyStored: true };
        }
        throw error;
      }
    });
  }

  async copy(sourceKey: string, targetKey: string, options: { forbidOverwrite?: boolean } = {}): Promise<PutResult> {
    const headers = options.forbidOverwrite ? { 'x-oss-forbid-overwrite': 'true' } : {};
    return this.idempotent('CopyObject', targetKey, async (c) => ({
      etag: unquoteEtag((await c.copy(targetKey, sourceKey, { headers })).res.headers.etag),
    }));
  }

  async *list(options: ListOptions = {}): AsyncIterable<ListPage> {
    const pageSize = Math.min(1000, Math.max(1, options.pageSize ?? 1000));
    let token: string | undefined;
    let first = true;
    while (first || token !== undefined) {
      const query: Record<string, string | number> = { 'max-keys': pageSize };
      if (options.prefix) query.prefix = options.prefix;
      if (options.delimiter) query.delimiter = options.delimiter;
      if (first && options.startAfter) query['start-after'] = options.startAfter;
      if (token !== undefined) query['continuation-token'] = token;
      const page = await this.idempotent('ListObjectsV2', options.prefix, (c) => c.listV2({ ...query }));
      first = false;
      yield {
        objects: (page.objects ?? []).map((o) => ({
          key: o.name,
          size: Number(o.size),
          etag: unquoteEtag(o.etag),
          lastModified: new Date(o.lastModified),
          storageClass: parseStorageClass(o.storageClass),
        })),
        prefixes: page.prefixes ?? [],
      };
      if (page.isTruncated && !page.nextContinuationToken) {
        // A truncated page without a token would silently end the listing early.
        throw new StorageError(
          'OSS_REQUEST_FAILED',
          'ListObjectsV2 returned a truncated page without a continuation token',
          { operation: 'ListObjectsV2' },
        );
      }
      token = page.isTruncated ? (page.nextContinuationToken ?? undefined) : undefined;
    }
  }

  async delete(key: string): Promise<void> {
    await this.idempotent('DeleteObject', key, (c) => c.delete(key));
  }

  async deleteMany(keys: readonly string[]): Promise<DeleteManyResult> {
    return deleteInBatches(keys, async (batch) => {
      const { deleted } = await this.idempotent('DeleteMultipleObjects', undefined, (c) =>
        c.deleteMulti([...batch], { quiet: false }),
      );
      return deleted.map((d) => (typeof d === 'string' ? d : d.Key));
    });
  }

  async getVersioning(): Promise<'Enabled' | 'Suspended' | undefined> {
    const { versionStatus } = await this.idempotent('GetBucketVersioning', undefined, (c) =>
      c.getBucketVersioning(this.bucket),
    );
    return versionStatus === 'Enabled' || versionStatus === 'Suspended' ? versionStatus : undefined;
  }

  async getLifecycle(): Promise<LifecycleRuleInfo[]> {
    const { rules } = await this.idempotent('GetBucketLifecycle', undefined, async (c) => {
      try {
        return await c.getBucketLifecycle(this.bucket);
      } catch (error) {
        if (isNotFound(error)) return { rules: null }; // NoSuchLifecycle: the bucket has no rules
        throw error;
      }
    });
    return (rules ?? []).map((r) => {
      const days = (v: string | undefined) => (v === undefined || v === '' ? undefined : Number(v));
      const transitions = r.transition === undefined ? [] : Array.isArray(r.transition) ? r.transition : [r.transition];
      const e = r.expiration;
      return {
        ...(r.id ? { id: r.id } : {}),
        prefix: r.prefix ?? '',
        status: r.status === 'Enabled' ? 'Enabled' : 'Disabled',
        ...(e && (e.days !== undefined || e.createdBeforeDate)
          ? {
              expiration: {
                ...(days(e.days) === undefined ? {} : { days: days(e.days) }),
                ...(e.createdBeforeDate ? { createdBeforeDate: e.createdBeforeDate } : {}),
              },
            }
          : {}),
        transitions: transitions.map((t) => ({
          ...(days(t.days) === undefined ? {} : { days: days(t.days) }),
          storageClass: t.storageClass ?? '',
        })),
      };
    });
  }

  async getTags(key: string): Promise<ObjectTags | undefined> {
    return this.idempotent('GetObjectTagging', key, async (c) => {
      try {
        return { ...(await c.getObjectTagging(key)).tag };
      } catch (error) {
        if (isNotFound(error)) return undefined;
        throw error;
      }
    });
  }

  async putTags(key: string, tags: ObjectTags): Promise<void> {
    checkTags(key, tags);
    await this.idempotent('PutObjectTagging', key, (c) => c.putObjectTagging(key, { ...tags }));
  }

  readonly multipart = {
    initiate: async (key: string, options: PutOptions = {}): Promise<string> =>
      // Not retried: each attempt would open another upload that nobody completes.
      this.once(
        'InitiateMultipartUpload',
        key,
        async (c) => (await c.initMultipartUpload(key, { headers: putHeaders(options) })).uploadId,
      ),
    uploadPart: async (key: string, uploadId: string, partNumber: number, body: Buffer): Promise<{ etag: string }> =>
      this.idempotent('UploadPart', key, async (c) => ({
        etag: unquoteEtag(
          (await c._uploadPart(key, uploadId, partNumber, { stream: Readable.from([body]), size: body.length })).etag,
        ),
      })),
    listParts: async (key: string, uploadId: string): Promise<UploadedPart[]> => {
      const parts: UploadedPart[] = [];
      let marker: string | undefined;
      for (;;) {
        const page = await this.idempotent('ListParts', key, (c) =>
          c.listParts(key, uploadId, { 'max-parts': 1000, ...(marker && { 'part-number-marker': marker }) }),
        );
        const list = Array.isArray(page.parts) ? page.parts : page.parts ? [page.parts] : [];
        for (const p of list)
          parts.push({
            partNumber: Number(p.PartNumber),
            etag: unquoteEtag(p.ETag),
            size: Number(p.Size),
            lastModified: new Date(p.LastModified),
          });
        const truncated = page.isTruncated === true || page.isTruncated === 'true';
        if (!truncated || !page.nextPartNumberMarker) return parts;
        marker = page.nextPartNumberMarker;
      }
    },
    complete: async (
      key: string,
      uploadId: string,
      parts: Array<{ partNumber: number; etag: string }>,
      options: { forbidOverwrite?: boolean } = {},
    ): Promise<PutResult> =>
      this.once('CompleteMultipartUpload', key, async (c) => {
        const headers = options.forbidOverwrite ? { 'x-oss-forbid-overwrite': 'true' } : {};
        const done = await c.completeMultipartUpload(
          key,
          uploadId,
          parts.map((p) => ({ number: p.partNumber, etag: `"${unquoteEtag(p.etag)}"` })),
          { headers },
        );
        return { etag: unquoteEtag(done.etag) };
      }),
    abort: async (key: string, uploadId: string): Promise<void> => {
      await this.idempotent('AbortMultipartUpload', key, async (c) => {
        try {
          await c.abortMultipartUpload(key, uploadId);
        } catch (error) {
          // A retried abort whose first attempt landed finds no upload: the goal is reached.
          if (!isNotFound(error)) throw error;
        }
      });
    },
    listUploads: (prefix?: string): AsyncIterable<MultipartUpload[]> => this.listUploads(prefix),
  };

  private async *listUploads(prefix?: string): AsyncIterable<MultipartUpload[]> {
    let keyMarker: string | undefined;
    let uploadIdMarker: string | undefined;
    for (;;) {
      const query = {
        'max-uploads': 1000,
        ...(prefix && { prefix }),
        ...(keyMarker && { 'key-marker': keyMarker }),
        ...(uploadIdMarker && { 'upload-id-marker': uploadIdMarker }),
      };
      const page = await this.idempotent('ListMultipartUploads', prefix, (c) => c.listUploads(query));
      yield page.uploads.map((u) => ({ key: u.name, uploadId: u.uploadId, initiated: new Date(u.initiated) }));
      if (!page.isTruncated) return;
      keyMarker = page.nextKeyMarker;
      uploadIdMarker = page.nextUploadIdMarker;
    }
  }

  private async idempotent<T>(
    operation: string,
    key: string | undefined,
    run: (client: AliOssClient) => Promise<T>,
  ): Promise<T> {
    checkAddressable(operation, key);
    return withRetry(
      async () => run(await this.clientNow()),
      (e) => toStorageError(e, operation, key),
      this.retry,
      this.options.retryHooks,
    );
  }

  private async once<T>(
    operation: string,
    key: string | undefined,
    run: (client: AliOssClient) => Promise<T>,
  ): Promise<T> {
    checkAddressable(operation, key);
    try {
      return await run(await this.clientNow());
    } catch (error) {
      throw toStorageError(error, operation, key);
    }
  }

  private async clientNow(): Promise<AliOssClient> {
    const credentials = this.options.credentials();
    if (this.client && sameCredentials(this.client.credentials, credentials)) return this.client.instance;
    const oss = this.options.config;
    const endpoint = serviceEndpoint(oss);
    const instance = await (this.options.clientFactory ?? defaultClientFactory)({
      bucket: oss.bucket,
      region: `oss-${oss.region}`,
      endpoint: `${endpoint.protocol}//${endpoint.host}`,
      secure: endpoint.protocol === 'https:',
      sldEnable: endpoint.style === 'path',
      cname: endpoint.style === 'cname',
      authorizationV4: oss.signatureVersion === 'v4',
      accessKeyId: credentials.accessKeyId,
      accessKeySecret: credentials.accessKeySecret,
      ...(credentials.securityToken && {
        stsToken: credentials.securityToken,
        refreshSTSTokenInterval: Number.MAX_SAFE_INTEGER,
        refreshSTSToken: async () => this.options.credentials(),
      }),
      timeout: this.options.timeoutMs ?? 60_000,
      retryMax: 0,
    });
    this.client = { credentials, instance };
    return instance;
  }
}

async function defaultClientFactory(options: Record<string, unknown>): Promise<AliOssClient> {
  const { default: OSS } = (await import('ali-oss')) as unknown as { default: new (options: object) => AliOssClient };
  return new OSS(options);
}

/**
 * A streamed GET's error body is discarded by ali-oss, so a 403 or 416 arrives without OSS's code. A 416 on
 * a ranged GET can only be InvalidRange; a 403 of an object that HEAD shows archived and not restored is
 * InvalidObjectState (any other 403 stays access denied).
 */
async function explainStreamedError(c: AliOssClient, key: string, error: unknown): Promise<unknown> {
  const e = error as { status?: number; code?: string };
  if (typeof e !== 'object' || e === null || e.code) return error;
  if (e.status === 416) e.code = 'InvalidRange';
  if (e.status === 403) {
    const head = await c.head(key).catch(() => undefined);
    const h = head?.res.headers;
    if (
      h &&
      awaitsRestore(parseStorageClass(h['x-oss-storage-class']), parseRestoreHeader(h['x-oss-restore']), new Date())
    )
      e.code = 'InvalidObjectState';
  }
  return error;
}
