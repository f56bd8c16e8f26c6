import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { awaitsRestore, checkObjectKey, checkTags } from './attributes';
import { deleteInBatches } from './delete-batches';
import { ossAnswerError, type StorageError } from './errors';
import { MAX_PARTS, MIN_PART_SIZE } from './limits';
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
  RestoreState,
  StorageClass,
  UploadedPart,
} from './port';
import { readStream } from './read-stream';

/** The OSS operation names the store's methods map to; `failNext` takes them. */
export type StoreOperation =
  | 'HeadObject'
  | 'GetObject'
  | 'PutObject'
  | 'CopyObject'
  | 'ListObjectsV2'
  | 'DeleteObject'
  | 'DeleteMultipleObjects'
  | 'GetObjectTagging'
  | 'PutObjectTagging'
  | 'InitiateMultipartUpload'
  | 'UploadPart'
  | 'ListParts'
  | 'CompleteMultipartUpload'
  | 'AbortMultipartUpload'
  | 'ListMultipartUploads';

export interface MemoryStoreOptions {
  /** Default `memory-bucket`. */
  bucket?: string;
  /** The clock stamped on writes (`lastModified`, `initiated`), so tests can write objects "in the past". */
  now?: () => Date;
}

interface StoredObject {
  body: Buffer;
  etag: string;
  lastModified: Date;
  contentType: string;
  meta: Record<string, string>;
  objectType: 'Normal' | 'Multipart';
  storageClass: StorageClass;
  tags: ObjectTags;
  restore?: RestoreState;
}

interface StoredUpload {
  key: string;
  uploadId: string;
  initiated: Date;
  options: PutOptions;
  parts: Map<number, { body: Buffer; etag: string; lastModified: Date }>;
}

/**
 * The storage port in memory, for unit tests of capability logic. It answers, streams, ranges, paginates
 * and fails as the ali-oss adapter over OSS does; the storage contract suite runs against both to prove it.
 * Writes are stamped with `now()` to the second (OSS's precision). It never retries: a failure injected
 * with `failNext` is what a caller of the adapter sees once the adapter has given up.
 */
export class MemoryStore implements ObjectStore {
  readonly bucket: string;
  private readonly now: () => Date;
  private readonly objects = new Map<string, StoredObject>();
  private readonly uploads = new Map<string, StoredUpload>();
  private readonly faults = new Map<StoreOperation, { times: number; error: () => StorageError }>();
  /** Keys in UTF-8 byte order; rebuilt lazily after the key set changes. */
  private sorted: string[] | undefined;

  constructor(options: MemoryStoreOptions = {}) {
    this.bucket = options.bucket ?? 'memory-bucket';
    this.now = options.now ?? (() => new Date());
  }

  /**
   * Makes the next `times` calls of `operation` fail before doing anything, with `error` or else OSS's
   * 503 ServiceUnavailable (`OSS_THROTTLED`, what the adapter reports after its retries ran out). One
   * `deleteMany` batch is one DeleteMultipleObjects call; one listing page is one ListObjectsV2 call.
   */
  failNext(operation: StoreOperation, times = 1, error?: (operation: StoreOperation) => StorageError): void {
    this.faults.set(operation, {
      times,
      error: () => error?.(operation) ?? ossAnswerError(operation, undefined, 503, 'ServiceUnavailable'),
    });
  }

  private versioning: 'Enabled' | 'Suspended' | undefined;
  private lifecycle: LifecycleRuleInfo[] = [];

  /** Sets the bucket's versioning status, as PutBucketVersioning would (tests). */
  setVersioning(status: 'Enabled' | 'Suspended'): void {
    this.versioning = status;
  }

  /** Replaces the bucket's lifecycle rules, as PutBucketLifecycle would (tests). */
  setLifecycle(rules: LifecycleRuleInfo[]): void {
    this.lifecycle = rules.map((r) => ({ ...r, transitions: [...r.transitions] }));
  }

  async getVersioning(): Promise<'Enabled' | 'Suspended' | undefined> {
    return this.versioning;
  }

  async getLifecycle(): Promise<LifecycleRuleInfo[]> {
    return this.lifecycle.map((r) => ({ ...r, transitions: [...r.transitions] }));
  }

  /** Sets what a RestoreObject request would leave on an archived object (`undefined`: not restored). */
  setRestoreState(key: string, restore: RestoreState | undefined): void {
    const o = this.objects.get(key);
    if (!o) throw ossAnswerError('RestoreObject', key, 404, 'NoSuchKey');
    if (restore) o.restore = restore;
    else delete o.restore;
  }

  async head(key: string): Promise<ObjectInfo | undefined> {
    this.enter('HeadObject', key);
    const o = this.objects.get(key);
    return o && infoOf(key, o);
  }

  async get(key: string, options: { range?: ByteRange } = {}): Promise<ObjectBody | undefined> {
    this.enter('GetObject', key);
    const o = this.objects.get(key);
    if (!o) return undefined;
    this.checkReadable('GetObject', key, o);
    const bytes = sliceOf(o.body, options.range, key);
    // Chunks of 64 KiB, as a socket would deliver them.
    const chunks: Buffer[] = [];
    for (let i = 0; i < bytes.length; i += 65_536) chunks.push(bytes.subarray(i, i + 65_536));
    return { info: infoOf(key, o), body: Readable.from(chunks) };
  }

  async getBuffer(key: string, options: { range?: ByteRange } = {}): Promise<Buffer | undefined> {
    const found = await this.get(key, options);
    if (!found) return undefined;
    return readStream(found.body);
  }

  async put(key: string, body: Buffer | string | Readable, options: PutOptions = {}): Promise<PutResult> {
    this.enter('PutObject', key);
    let bytes: Buffer;
    if (body instanceof Readable) {
      bytes = await readStream(body);
    } else bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : Buffer.from(body);
    if (options.contentMd5 !== undefined && createHash('md5').update(bytes).digest('base64') !== options.contentMd5)
      throw ossAnswerError('PutObject', key, 400, 'InvalidDigest');
    this.checkOverwrite('PutObject', key, options.forbidOverwrite);
    const etag = md5Hex(bytes);
    this.write(key, { ...attributesOf(options), body: bytes, etag, objectType: 'Normal', tags: {} });
    return { etag };
  }

  async copy(sourceKey: string, targetKey: string, options: { forbidOverwrite?: boolean } = {}): Promise<PutResult> {
    this.enter('CopyObject', targetKey);
    const source = this.objects.get(sourceKey);
    if (!source) throw ossAnswerError('CopyObject', targetKey, 404, 'NoSuchKey');
    this.checkReadable('CopyObject', targetKey, source);
    this.checkOverwrite('CopyObject', targetKey, options.forbidOverwrite);
    const { restore: _restore, lastModified: _at, ...kept } = source;
    this.write(targetKey, { ...kept, meta: { ...kept.meta }, tags: { ...kept.tags } });
    return { etag: source.etag };
  }

  async *list(options: ListOptions = {}): AsyncIterable<ListPage> {
    const pageSize = Math.min(1000, Math.max(1, options.pageSize ?? 1000));
    const prefix = options.prefix ?? '';
    const delimiter = options.delimiter ?? '';
    let after = options.startAfter ?? '';
    for (;;) {
      this.enter('ListObjectsV2');
      const page: ListPage = { objects: [], prefixes: [] };
      const keys = this.sortedKeys();
      let truncated = false;
      for (let i = firstAfter(keys, compareKeys(after, prefix) >= 0 ? after : prefix, after); i < keys.length; i++) {
        const key = keys[i]!;
        if (!key.startsWith(prefix)) break;
        const d = delimiter === '' ? -1 : key.indexOf(delimiter, prefix.length);
        const entry = d === -1 ? key : key.slice(0, d + delimiter.length);
        // A common prefix at or before the cursor was returned already (or the cursor is inside it).
        if (compareKeys(entry, after) <= 0) continue;
        if (page.objects.length + page.prefixes.length === pageSize) {
          truncated = true;
          break;
        }
        if (d === -1) page.objects.push(summaryOf(key, this.objects.get(key)!));
        else page.prefixes.push(entry);
        after = entry;
      }
      yield page;
      if (!truncated) return;
    }
  }

  async delete(key: string): Promise<void> {
    this.enter('DeleteObject', key);
    this.remove(key);
  }

  async deleteMany(keys: readonly string[]): Promise<DeleteManyResult> {
    return deleteInBatches(keys, async (batch) => {
      this.enter('DeleteMultipleObjects');
      for (const key of batch) this.remove(key);
      return batch;
    });
  }

  async getTags(key: string): Promise<ObjectTags | undefined> {
    this.enter('GetObjectTagging', key);
    const o = this.objects.get(key);
    return o && { ...o.tags };
  }

  async putTags(key: string, tags: ObjectTags): Promise<void> {
    checkTags(key, tags);
    this.enter('PutObjectTagging', key);
    const o = this.objects.get(key);
    if (!o) throw ossAnswerError('PutObjectTagging', key, 404, 'NoSuchKey');
    o.tags = { ...tags };
  }

  readonly multipart: MultipartOperations = {
    initiate: async (key, options = {}) => {
      this.enter('InitiateMultipartUpload', key);
      this.checkOverwrite('InitiateMultipartUpload', key, options.forbidOverwrite);
      const uploadId = randomBytes(16).toString('hex').toUpperCase();
      this.uploads.set(uploadId, { key, uploadId, initiated: this.stamp(), options, parts: new Map() });
      return uploadId;
    },
    uploadPart: async (key, uploadId, partNumber, body) => {
      this.enter('UploadPart', key);
      if (!Number.isInteger(partNumber) || partNumber < 1 || partNumber > MAX_PARTS)
        throw ossAnswerError('UploadPart', key, 400, 'InvalidArgument');
      const upload = this.upload('UploadPart', key, uploadId);
      const etag = md5Hex(body);
      upload.parts.set(partNumber, { body: Buffer.from(body), etag, lastModified: this.stamp() });
      return { etag };
    },
    listParts: async (key, uploadId) => {
      this.enter('ListParts', key);
      const upload = this.upload('ListParts', key, uploadId);
      return [...upload.parts.entries()]
        .sort(([a], [b]) => a - b)
        .map(
          ([partNumber, p]): UploadedPart => ({
            partNumber,
            etag: p.etag,
            size: p.body.length,
            lastModified: p.lastModified,
          }),
        );
    },
    complete: async (key, uploadId, parts, options = {}) => {
      this.enter('CompleteMultipartUpload', key);
      const upload = this.upload('CompleteMultipartUpload', key, uploadId);
      // As the ali-oss client does before sending: sort by part number, keep the first of duplicates.
      const requested = [...parts]
        .sort((a, b) => a.partNumber - b.partNumber)
        .filter((p, i, all) => i === 0 || p.partNumber !== all[i - 1]!.partNumber);
      if (requested.length === 0) throw ossAnswerError('CompleteMultipartUpload', key, 400, 'MalformedXML');
      const chosen = requested.map((r) => {
        const part = upload.parts.get(r.partNumber);
        if (!part || part.etag !== r.etag.replace(/^"|"$/g, '').toUpperCase())
          throw ossAnswerError('CompleteMultipartUpload', key, 400, 'InvalidPart');
        return part;
      });
      if (chosen.slice(0, -1).some((p) => p.body.length < MIN_PART_SIZE))
        throw ossAnswerError('CompleteMultipartUpload', key, 400, 'EntityTooSmall');
      this.checkOverwrite('CompleteMultipartUpload', key, options.forbidOverwrite);
      const etag = `${md5Hex(Buffer.from(chosen.map((p) => p.etag).join('')))}-${chosen.length}`;
      this.write(key, {
        ...attributesOf(upload.options),
        body: Buffer.concat(chosen.map((p) => p.body)),
        etag,
        objectType: 'Multipart',
        tags: {},
      });
      this.uploads.delete(uploadId);
      return { etag };
    },
    abort: async (key, uploadId) => {
      this.enter('AbortMultipartUpload', key);
      if (this.uploads.get(uploadId)?.key === key) this.uploads.delete(uploadId);
    },
    listUploads: (prefix) => this.listUploads(prefix),
  };

  private async *listUploads(prefix = ''): AsyncIterable<MultipartUpload[]> {
    this.enter('ListMultipartUploads');
    const all = [...this.uploads.values()]
      .filter((u) => u.key.startsWith(prefix))
      .sort(
        (a, b) =>
          compareKeys(a.key, b.key) ||
          a.initiated.getTime() - b.initiated.getTime() ||
          (a.uploadId < b.uploadId ? -1 : 1),
      );
    for (let i = 0; i < all.length || i === 0; i += 1000)
      yield all.slice(i, i + 1000).map((u) => ({ key: u.key, uploadId: u.uploadId, initiated: u.initiated }));
  }

  private enter(operation: StoreOperation, key?: string): void {
    if (key !== undefined) checkObjectKey(operation, key);
    const fault = this.faults.get(operation);
    if (!fault) return;
    fault.times -= 1;
    if (fault.times <= 0) this.faults.delete(operation);
    throw fault.error();
  }

  private stamp(): Date {
    return new Date(Math.floor(this.now().getTime() / 1000) * 1000);
  }

  private write(key: string, object: Omit<StoredObject, 'lastModified'>): void {
    if (!this.objects.has(key)) this.sorted = undefined;
    this.objects.set(key, { ...object, lastModified: this.stamp() });
  }

  private remove(key: string): void {
    if (this.objects.delete(key)) this.sorted = undefined;
  }

  private sortedKeys(): string[] {
    this.sorted ??= [...this.objects.keys()].sort(compareKeys);
    return this.sorted;
  }

  private checkOverwrite(operation: string, key: string, forbid: boolean | undefined): void {
    if (forbid && this.objects.has(key)) throw ossAnswerError(operation, key, 409, 'FileAlreadyExists');
  }

  private checkReadable(operation: string, key: string, o: StoredObject): void {
    if (awaitsRestore(o.storageClass, o.restore, this.now()))
      throw ossAnswerError(operation, key, 403, 'InvalidObjectState');
  }

  private upload(operation: string, key: string, uploadId: string): StoredUpload {
    const upload = this.uploads.get(uploadId);
    if (!upload || upload.key !== key) throw ossAnswerError(operation, key, 404, 'NoSuchUpload');
    return upload;
  }
}

/** OSS orders keys by their UTF-8 bytes, which differs from JavaScript's UTF-16 order above U+FFFF. */
export function compareKeys(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/** Index of the first key `>= from` that is also `> after`. */
function firstAfter(keys: readonly string[], from: string, after: string): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compareKeys(keys[mid]!, from) < 0) lo = mid + 1;
    else hi = mid;
  }
  while (lo < keys.length && compareKeys(keys[lo]!, after) <= 0) lo++;
  return lo;
}

/** The bytes a ranged GET with standard range semantics returns (docs/oss-protocol.md §4.2). */
function sliceOf(body: Buffer, range: ByteRange | undefined, key: string): Buffer {
  if (!range) return body;
  // An end before the start is no range at all: OSS sends the whole object.
  if (range.end !== undefined && range.end < range.start) return body;
  if (range.start >= body.length) throw ossAnswerError('GetObject', key, 416, 'InvalidRange');
  return body.subarray(range.start, range.end === undefined ? undefined : range.end + 1);
}

function md5Hex(bytes: Buffer): string {
  return createHash('md5').update(bytes).digest('hex').toUpperCase();
}

function attributesOf(options: PutOptions): Pick<StoredObject, 'contentType' | 'meta' | 'storageClass'> {
  const meta: Record<string, string> = {};
  for (const [name, value] of Object.entries(options.meta ?? {})) meta[name.toLowerCase()] = value;
  return {
    contentType: options.contentType || 'application/octet-stream',
    meta,
    storageClass: options.storageClass ?? 'Standard',
  };
}

function infoOf(key: string, o: StoredObject): ObjectInfo {
  return {
    key,
    size: o.body.length,
    etag: o.etag,
    lastModified: o.lastModified,
    contentType: o.contentType,
    meta: { ...o.meta },
    objectType: o.objectType,
    crc64: crc64(o.body),
    storageClass: o.storageClass,
    ...(o.restore && { restore: o.restore }),
  };
}

function summaryOf(key: string, o: StoredObject) {
  return { key, size: o.body.length, etag: o.etag, lastModified: o.lastModified, storageClass: o.storageClass };
}

// CRC-64/XZ, reflected polynomial 0xC96C5795D7870F42, in two 32-bit halves (BigInt per byte is too slow).
const CRC_HI = new Uint32Array(256);
const CRC_LO = new Uint32Array(256);
for (let i = 0; i < 256; i++) {
  let hi = 0;
  let lo = i;
  for (let k = 0; k < 8; k++) {
    const carry = lo & 1;
    lo = ((lo >>> 1) | ((hi & 1) << 31)) >>> 0;
    hi = hi >>> 1;
    if (carry) {
      hi = (hi ^ 0xc96c5795) >>> 0;
      lo = (lo ^ 0xd7870f42) >>> 0;
    }
  }
  CRC_HI[i] = hi;
  CRC_LO[i] = lo;
}

/** CRC-64/XZ (OSS's `x-oss-hash-crc64ecma`) as a decimal string. */
function crc64(bytes: Buffer): string {
  let hi = 0xffffffff;
  let lo = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) {
    const t = (lo ^ bytes[i]!) & 0xff;
    lo = (((lo >>> 8) | ((hi & 0xff) << 24)) ^ CRC_LO[t]!) >>> 0;
    hi = ((hi >>> 8) ^ CRC_HI[t]!) >>> 0;
  }
  return ((BigInt((hi ^ 0xffffffff) >>> 0) << 32n) | BigInt((lo ^ 0xffffffff) >>> 0)).toString();
}
