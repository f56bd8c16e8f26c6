import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import type { OssConfig } from '../config';
import { checkAddressable, checkTags, parseStorageClass } from './attributes';
import type { CredentialsProvider } from './credentials';
import { deleteInBatches } from './delete-batches';
import { StorageError, toStorageError } from './errors';
import { infoFrom, isNotFound, putHeaders, rangeHeaders, unquoteEtag } from './object-headers';
import { type OssCall, OssHttpClient } from './oss-http/client';
import { child, children, escapeXml, parseXml, textOf, type XmlNode } from './oss-http/xml';
import type {
  ByteRange,
  DeleteManyResult,
  LifecycleRuleInfo,
  ListOptions,
  ListPage,
  MultipartOperations,
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

export interface OssHttpStoreOptions {
  config: OssConfig;
  credentials: CredentialsProvider;
  retry?: RetryPolicy;
  retryHooks?: RetryHooks;
  /** Socket inactivity limit per request in ms (default 60 s). */
  timeoutMs?: number;
}

/**
 * The object-store port spoken straight to OSS's REST API over a lean client (`./oss-http/client`): what
 * the functions use, because its first request costs a few milliseconds where ali-oss costs hundreds
 * (loading, encoding tables, client warm-up). Same behaviour as `AliOssStore`: idempotent operations are
 * retried with backoff, others are not; failures are `StorageError`s classified the same way.
 */
export class OssHttpStore implements ObjectStore {
  readonly bucket: string;
  private readonly client: OssHttpClient;
  private readonly retry: RetryPolicy;

  constructor(private readonly options: OssHttpStoreOptions) {
    this.bucket = options.config.bucket;
    this.retry = options.retry ?? DEFAULT_RETRY;
    this.client = new OssHttpClient({
      config: options.config,
      credentials: options.credentials,
      ...(options.timeoutMs !== undefined && { timeoutMs: options.timeoutMs }),
    });
  }

  async head(key: string): Promise<ObjectInfo | undefined> {
    return this.idempotent('HeadObject', key, async () => {
      try {
        return infoFrom(key, (await this.client.request({ method: 'HEAD', key })).headers);
      } catch (error) {
        if (isNotFound(error)) return undefined;
        throw error;
      }
    });
  }

  async get(key: string, options: { range?: ByteRange } = {}): Promise<ObjectBody | undefined> {
    return this.idempotent('GetObject', key, async () => {
      try {
        const reply = await this.client.stream({ method: 'GET', key, headers: rangeHeaders(options.range) });
        return { info: infoFrom(key, reply.headers), body: reply.body };
      } catch (error) {
        if (isNotFound(error)) return undefined;
        throw error;
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
      return this.once('PutObject', key, async () => ({
        etag: unquoteEtag((await this.client.request({ method: 'PUT', key, headers, body })).headers.etag),
      }));
    }
    const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
    const digest = createHash('md5').update(bytes).digest();
    const md5 = digest.toString('hex').toUpperCase();
    // OSS checks the body against Content-MD5: a corrupted transfer is refused, not stored.
    headers['Content-MD5'] ??= digest.toString('base64');
    let attempt = 0;
    return this.idempotent('PutObject', key, async () => {
      attempt += 1;
      try {
        return {
          etag: unquoteEtag((await this.client.request({ method: 'PUT', key, headers, body: bytes })).headers.etag),
        };
      } catch (error) {
        // A retried forbid-overwrite PUT whose earlier attempt landed finds its own bytes: that is success.
        if (
          attempt > 1 &&
          options.forbidOverwrite &&
          toStorageError(error, 'PutObject', key).code === 'OSS_ALREADY_EXISTS'
        ) {
          const existing = await this.client.request({ method: 'HEAD', key }).catch(() => undefined);
          if (existing && unquoteEtag(existing.headers.etag) === md5) return { etag: md5, alreadyStored: true };
        }
        throw error;
      }
    });
  }

  async copy(sourceKey: string, targetKey: string, options: { forbidOverwrite?: boolean } = {}): Promise<PutResult> {
    const headers: Record<string, string> = {
      'x-oss-copy-source': `/${this.bucket}/${encodeURIComponent(sourceKey)}`,
      ...(options.forbidOverwrite && { 'x-oss-forbid-overwrite': 'true' }),
    };
    return this.idempotent('CopyObject', targetKey, async () => {
      const reply = await this.client.request({ method: 'PUT', key: targetKey, headers });
      const etag = reply.body.length > 0 ? textOf(parseXml(reply.body.toString('utf8')), 'ETag') : undefined;
      return { etag: unquoteEtag(etag ?? reply.headers.etag) };
    });
  }

  async *list(options: ListOptions = {}): AsyncIterable<ListPage> {
    const pageSize = Math.min(1000, Math.max(1, options.pageSize ?? 1000));
    let token: string | undefined;
    let first = true;
    while (first || token !== undefined) {
      // encoding-type=url: keys with characters XML cannot carry come back intact (docs/oss-protocol.md §4.7).
      const query: Array<[string, string]> = [
        ['list-type', '2'],
        ['max-keys', String(pageSize)],
        ['encoding-type', 'url'],
      ];
      if (options.prefix) query.push(['prefix', options.prefix]);
      if (options.delimiter) query.push(['delimiter', options.delimiter]);
      if (first && options.startAfter) query.push(['start-after', options.startAfter]);
      if (token !== undefined) query.push(['continuation-token', token]);
      const page = await this.idempotent('ListObjectsV2', options.prefix, async () =>
        this.xml({ method: 'GET', key: '', query }),
      );
      first = false;
      const urlDecoded = textOf(page, 'EncodingType') === 'url';
      const decode = (text: string) => (urlDecoded ? decodeURIComponent(text) : text);
      yield {
        objects: children(page, 'Contents').map((o) => ({
          key: decode(textOf(o, 'Key') ?? ''),
          size: Number(textOf(o, 'Size') ?? 0),
          etag: unquoteEtag(textOf(o, 'ETag')),
          lastModified: new Date(textOf(o, 'LastModified') ?? 0),
          storageClass: parseStorageClass(textOf(o, 'StorageClass')),
        })),
        prefixes: children(page, 'CommonPrefixes').map((p) => decode(textOf(p, 'Prefix') ?? '')),
      };
      const truncated = textOf(page, 'IsTruncated') === 'true';
      const next = textOf(page, 'NextContinuationToken');
      if (truncated && !next) {
        // A truncated page without a token would silently end the listing early.
        throw new StorageError(
          'OSS_REQUEST_FAILED',
          'ListObjectsV2 returned a truncated page without a continuation token',
          { operation: 'ListObjectsV2' },
        );
      }
      token = truncated ? decode(next as string) : undefined;
    }
  }

  async delete(key: string): Promise<void> {
    await this.idempotent('DeleteObject', key, () => this.client.request({ method: 'DELETE', key }));
  }

  async deleteMany(keys: readonly string[]): Promise<DeleteManyResult> {
    return deleteInBatches(keys, async (batch) => {
      const body = Buffer.from(
        `<?xml version="1.0" encoding="UTF-8"?><Delete><Quiet>false</Quiet>${batch
          .map((k) => `<Object><Key>${escapeXml(k)}</Key></Object>`)
          .join('')}</Delete>`,
        'utf8',
      );
      const doc = await this.idempotent('DeleteMultipleObjects', undefined, () =>
        this.xml({
          method: 'POST',
          key: '',
          query: [
            ['delete', ''],
            ['encoding-type', 'url'],
          ],
          headers: {
            'content-type': 'application/xml',
            'content-md5': createHash('md5').update(body).digest('base64'),
          },
          body,
        }),
      );
      const urlDecoded = textOf(doc, 'EncodingType') === 'url';
      return children(doc, 'Deleted').map((d) => {
        const key = textOf(d, 'Key') ?? '';
        return urlDecoded ? decodeURIComponent(key) : key;
      });
    });
  }

  async getVersioning(): Promise<'Enabled' | 'Suspended' | undefined> {
    const doc = await this.idempotent('GetBucketVersioning', undefined, () =>
      this.xml({ method: 'GET', key: '', query: [['versioning', '']] }),
    );
    const status = textOf(doc, 'Status');
    return status === 'Enabled' || status === 'Suspended' ? status : undefined;
  }

  async getLifecycle(): Promise<LifecycleRuleInfo[]> {
    const doc = await this.idempotent('GetBucketLifecycle', undefined, async () => {
      try {
        return await this.xml({ method: 'GET', key: '', query: [['lifecycle', '']] });
      } catch (error) {
        if (isNotFound(error)) return undefined; // NoSuchLifecycle: the bucket has no rules
        throw error;
      }
    });
    if (doc === undefined) return [];
    const days = (v: string | undefined) => (v === undefined || v === '' ? undefined : Number(v));
    return children(doc, 'Rule').map((rule) => {
      const id = textOf(rule, 'ID');
      const expiration = child(rule, 'Expiration');
      const expirationDays = expiration && days(textOf(expiration, 'Days'));
      const createdBeforeDate = expiration && textOf(expiration, 'CreatedBeforeDate');
      return {
        ...(id ? { id } : {}),
        prefix: textOf(rule, 'Prefix') ?? '',
        status: textOf(rule, 'Status') === 'Enabled' ? 'Enabled' : 'Disabled',
        ...(expirationDays !== undefined || createdBeforeDate
          ? {
              expiration: {
                ...(expirationDays === undefined ? {} : { days: expirationDays }),
                ...(createdBeforeDate ? { createdBeforeDate } : {}),
              },
            }
          : {}),
        transitions: children(rule, 'Transition').map((t) => {
          const after = days(textOf(t, 'Days'));
          return { ...(after === undefined ? {} : { days: after }), storageClass: textOf(t, 'StorageClass') ?? '' };
        }),
      } satisfies LifecycleRuleInfo;
    });
  }

  async getTags(key: string): Promise<ObjectTags | undefined> {
    return this.idempotent('GetObjectTagging', key, async () => {
      try {
        const doc = await this.xml({ method: 'GET', key, query: [['tagging', '']] });
        const tags: ObjectTags = {};
        for (const set of children(doc, 'TagSet'))
          for (const tag of children(set, 'Tag')) tags[textOf(tag, 'Key') ?? ''] = textOf(tag, 'Value') ?? '';
        return tags;
      } catch (error) {
        if (isNotFound(error)) return undefined;
        throw error;
      }
    });
  }

  async putTags(key: string, tags: ObjectTags): Promise<void> {
    checkTags(key, tags);
    const body = Buffer.from(
      `<?xml version="1.0" encoding="UTF-8"?><Tagging><TagSet>${Object.entries(tags)
        .map(([k, v]) => `<Tag><Key>${escapeXml(k)}</Key><Value>${escapeXml(v)}</Value></Tag>`)
        .join('')}</TagSet></Tagging>`,
      'utf8',
    );
    await this.idempotent('PutObjectTagging', key, () =>
      this.client.request({
        method: 'PUT',
        key,
        query: [['tagging', '']],
        headers: { 'content-type': 'application/xml', 'content-md5': createHash('md5').update(body).digest('base64') },
        body,
      }),
    );
  }

  readonly multipart: MultipartOperations = {
    initiate: async (key: string, options: PutOptions = {}): Promise<string> =>
      // Not retried: each attempt would open another upload that nobody completes.
      this.once('InitiateMultipartUpload', key, async () => {
        const doc = await this.xml({ method: 'POST', key, query: [['uploads', '']], headers: putHeaders(options) });
        const uploadId = textOf(doc, 'UploadId');
        if (!uploadId)
          throw new StorageError('OSS_REQUEST_FAILED', 'InitiateMultipartUpload returned no UploadId', {
            operation: 'InitiateMultipartUpload',
            key,
          });
        return uploadId;
      }),
    uploadPart: async (key: string, uploadId: string, partNumber: number, body: Buffer): Promise<{ etag: string }> =>
      this.idempotent('UploadPart', key, async () => {
        const reply = await this.client.request({
          method: 'PUT',
          key,
          query: [
            ['partNumber', String(partNumber)],
            ['uploadId', uploadId],
          ],
          headers: { 'content-md5': createHash('md5').update(body).digest('base64') },
          body,
        });
        return { etag: unquoteEtag(reply.headers.etag) };
      }),
    listParts: async (key: string, uploadId: string): Promise<UploadedPart[]> => {
      const parts: UploadedPart[] = [];
      let marker: string | undefined;
      for (;;) {
        const query: Array<[string, string]> = [
          ['max-parts', '1000'],
          ['uploadId', uploadId],
        ];
        if (marker) query.push(['part-number-marker', marker]);
        const page = await this.idempotent('ListParts', key, () => this.xml({ method: 'GET', key, query }));
        for (const p of children(page, 'Part'))
          parts.push({
            partNumber: Number(textOf(p, 'PartNumber')),
            etag: unquoteEtag(textOf(p, 'ETag')),
            size: Number(textOf(p, 'Size')),
            lastModified: new Date(textOf(p, 'LastModified') ?? 0),
          });
        const next = textOf(page, 'NextPartNumberMarker');
        if (textOf(page, 'IsTruncated') !== 'true' || !next) return parts;
        marker = next;
      }
    },
    complete: async (
      key: string,
      uploadId: string,
      parts: Array<{ partNumber: number; etag: string }>,
      options: { forbidOverwrite?: boolean } = {},
    ): Promise<PutResult> =>
      this.once('CompleteMultipartUpload', key, async () => {
        // OSS wants the parts ascending and once each; like ali-oss, sort and keep a number's first entry.
        const ordered = [...parts]
          .sort((a, b) => a.partNumber - b.partNumber)
          .filter((part, i, all) => i === 0 || part.partNumber !== all[i - 1]!.partNumber);
        const body = Buffer.from(
          `<?xml version="1.0" encoding="UTF-8"?><CompleteMultipartUpload>${ordered
            .map(
              (p) =>
                `<Part><PartNumber>${p.partNumber}</PartNumber><ETag>"${escapeXml(unquoteEtag(p.etag))}"</ETag></Part>`,
            )
            .join('')}</CompleteMultipartUpload>`,
          'utf8',
        );
        const reply = await this.client.request({
          method: 'POST',
          key,
          query: [['uploadId', uploadId]],
          headers: {
            'content-type': 'application/xml',
            'content-md5': createHash('md5').update(body).digest('base64'),
            ...(options.forbidOverwrite && { 'x-oss-forbid-overwrite': 'true' }),
          },
          body,
        });
        const etag = reply.body.length > 0 ? textOf(parseXml(reply.body.toString('utf8')), 'ETag') : undefined;
        return { etag: unquoteEtag(etag ?? reply.headers.etag) };
      }),
    abort: async (key: string, uploadId: string): Promise<void> => {
      await this.idempotent('AbortMultipartUpload', key, async () => {
        try {
          await this.client.request({ method: 'DELETE', key, query: [['uploadId', uploadId]] });
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
      const query: Array<[string, string]> = [
        ['uploads', ''],
        ['max-uploads', '1000'],
        ['encoding-type', 'url'],
      ];
      if (prefix) query.push(['prefix', prefix]);
      if (keyMarker) query.push(['key-marker', keyMarker]);
      if (uploadIdMarker) query.push(['upload-id-marker', uploadIdMarker]);
      const page = await this.idempotent('ListMultipartUploads', prefix, () =>
        this.xml({ method: 'GET', key: '', query }),
      );
      const decode = textOf(page, 'EncodingType') === 'url' ? decodeURIComponent : (t: string) => t;
      yield children(page, 'Upload').map((u) => ({
        key: decode(textOf(u, 'Key') ?? ''),
        uploadId: textOf(u, 'UploadId') ?? '',
        initiated: new Date(textOf(u, 'Initiated') ?? 0),
      }));
      if (textOf(page, 'IsTruncated') !== 'true') return;
      keyMarker = decode(textOf(page, 'NextKeyMarker') ?? '');
      uploadIdMarker = textOf(page, 'NextUploadIdMarker');
    }
  }

  /** Sends a request whose answer is an XML document and returns its root. */
  private async xml(call: OssCall): Promise<XmlNode> {
    const reply = await this.client.request(call);
    try {
      return parseXml(reply.body.toString('utf8'));
    } catch (error) {
      throw new StorageError('OSS_REQUEST_FAILED', `OSS answered a document that is not XML: ${String(error)}`, {
        operation: call.method,
        status: reply.status,
      });
    }
  }

  private async idempotent<T>(operation: string, key: string | undefined, run: () => Promise<T>): Promise<T> {
    checkAddressable(operation, key);
    return withRetry(run, (e) => toStorageError(e, operation, key), this.retry, this.options.retryHooks);
  }

  private async once<T>(operation: string, key: string | undefined, run: () => Promise<T>): Promise<T> {
    checkAddressable(operation, key);
    try {
      return await run();
    } catch (error) {
      throw toStorageError(error, operation, key);
    }
  }
}
