import type { Readable } from 'node:stream';

/** OSS storage classes. Archive, ColdArchive and DeepColdArchive objects must be restored before a GET. */
export type StorageClass = 'Standard' | 'IA' | 'Archive' | 'ColdArchive' | 'DeepColdArchive';

/** Where a RestoreObject request stands (`x-oss-restore`): still running, or done until `expiresAt`. */
export type RestoreState = { ongoing: true } | { ongoing: false; expiresAt: Date };

/** What OSS says about one object. `etag` is without quotes, as OSS events carry it. */
export interface ObjectInfo {
  key: string;
  size: number;
  etag: string;
  lastModified: Date;
  contentType?: string;
  /** `x-oss-meta-*` values by lowercase name without the prefix. */
  meta: Record<string, string>;
  /** Normal, Multipart or Appendable. */
  objectType?: string;
  /** CRC-64/XZ of the whole object as a decimal string, when OSS sent it. */
  crc64?: string;
  /** `Standard` when OSS does not say otherwise. */
  storageClass: StorageClass;
  /** Set once a restore of an archived object was requested; absent otherwise. */
  restore?: RestoreState;
}

/** One entry of a listing page. */
export interface ObjectSummary {
  key: string;
  size: number;
  etag: string;
  lastModified: Date;
  storageClass: StorageClass;
}

export interface ListPage {
  objects: ObjectSummary[];
  /** Common prefixes (folders) when a delimiter was given. */
  prefixes: string[];
}

export interface ListOptions {
  prefix?: string;
  delimiter?: string;
  /** List keys after this one (exclusive), to resume. */
  startAfter?: string;
  /** Keys per page, 1–1000 (OSS's limit); default 1000. */
  pageSize?: number;
}

/** Inclusive byte range; `end` omitted means to the end of the object. */
export interface ByteRange {
  start: number;
  end?: number;
}

export interface ObjectBody {
  info: ObjectInfo;
  body: Readable;
}

export interface Encryption {
  algorithm: 'AES256' | 'KMS';
  kmsKeyId?: string;
}

export interface PutOptions {
  /** Default `application/octet-stream`: the store never guesses a type from the key's extension. */
  contentType?: string;
  /** base64 MD5 of the body; OSS refuses the write when it does not match. */
  contentMd5?: string;
  /** Refuse to replace an existing object (`x-oss-forbid-overwrite`). */
  forbidOverwrite?: boolean;
  encryption?: Encryption;
  meta?: Record<string, string>;
  cacheControl?: string;
  contentDisposition?: string;
  contentEncoding?: string;
  /** Default: the bucket's storage class. */
  storageClass?: StorageClass;
}

export interface PutResult {
  etag: string;
  /**
   * A retried forbid-overwrite write found these very bytes already stored (by an earlier attempt, or by an
   * earlier request with the same body): the write succeeded without writing.
   */
  alreadyStored?: boolean;
}

export interface DeleteManyResult {
  deleted: string[];
  /** Keys OSS did not confirm as deleted, with the reason. */
  failed: Array<{ key: string; code: string; message: string }>;
}

export interface UploadedPart {
  partNumber: number;
  etag: string;
  size: number;
  lastModified: Date;
}

export interface MultipartUpload {
  key: string;
  uploadId: string;
  initiated: Date;
}

/** Multipart operations of the store. */
export interface MultipartOperations {
  initiate(key: string, options?: PutOptions): Promise<string>;
  uploadPart(key: string, uploadId: string, partNumber: number, body: Buffer): Promise<{ etag: string }>;
  listParts(key: string, uploadId: string): Promise<UploadedPart[]>;
  /**
   * Joins the listed parts (in part-number order, whatever order they are given in; the first of duplicate
   * numbers wins). Every part but the last must be at least 100 KiB.
   */
  complete(
    key: string,
    uploadId: string,
    parts: Array<{ partNumber: number; etag: string }>,
    options?: { forbidOverwrite?: boolean },
  ): Promise<PutResult>;
  abort(key: string, uploadId: string): Promise<void>;
  listUploads(prefix?: string): AsyncIterable<MultipartUpload[]>;
}

/** Object tags by key. At most 10; keys 1–128 and values 1–256 characters of `A-Za-z0-9 +-=._:/`. */
export type ObjectTags = Record<string, string>;

/** A bucket lifecycle rule, as far as the pack reads it (to warn about rules that would corrupt Flink state). */
export interface LifecycleRuleInfo {
  id?: string;
  /** "" for the whole bucket. */
  prefix: string;
  status: 'Enabled' | 'Disabled';
  /** Deletes current objects this many days after their last write, or those written before a date. */
  expiration?: { days?: number; createdBeforeDate?: string };
  /** Moves objects to another storage class this many days after their last write. */
  transitions: Array<{ days?: number; storageClass: string }>;
}

/**
 * The object-store port: everything the functions do with their bucket. Absent objects are
 * `undefined`, never errors; other failures throw `StorageError` with a stable code:
 * - `OSS_ALREADY_EXISTS`: a write with `forbidOverwrite` found the key taken;
 * - `OSS_INVALID_RANGE`: a ranged read starting at or past the end of the object;
 * - `OSS_OBJECT_ARCHIVED`: a read of an Archive/ColdArchive/DeepColdArchive object that is not restored
 *   (a reader treats it as unreadable: it is there, but its bytes are not);
 * - `OSS_NOT_FOUND`: a write that needs something absent (copy source, multipart upload, tags of a missing key);
 * - `OSS_INVALID_REQUEST`: refused before or by OSS (a `.`/`..` key segment, bad tags, digest or parts).
 * The contract suite (test/shared/storage/contract.ts, docs/storage.md) states all of it as tests.
 *
 * Listings are in UTF-8 byte order; ETags are OSS's: uppercase hex MD5 for a simple upload, `<hex>-<parts>` for
 * a multipart one, never quoted.
 */
export interface ObjectStore {
  readonly bucket: string;
  head(key: string): Promise<ObjectInfo | undefined>;
  get(key: string, options?: { range?: ByteRange }): Promise<ObjectBody | undefined>;
  /** Reads a whole (small) object into memory; for catalog records, reports and `_metadata` files. */
  getBuffer(key: string, options?: { range?: ByteRange }): Promise<Buffer | undefined>;
  put(key: string, body: Buffer | string | Readable, options?: PutOptions): Promise<PutResult>;
  copy(sourceKey: string, targetKey: string, options?: { forbidOverwrite?: boolean }): Promise<PutResult>;
  list(options?: ListOptions): AsyncIterable<ListPage>;
  delete(key: string): Promise<void>;
  /** Deletes in batches of 1000 (OSS's limit per request). A key that did not exist counts as deleted. */
  deleteMany(keys: readonly string[]): Promise<DeleteManyResult>;
  /** The object's tags (`{}` when it has none), or `undefined` when the object does not exist. */
  getTags(key: string): Promise<ObjectTags | undefined>;
  /** Replaces the object's tags (`{}` removes them all). */
  putTags(key: string, tags: ObjectTags): Promise<void>;
  /** The bucket's versioning status; `undefined` when versioning was never turned on. */
  getVersioning(): Promise<'Enabled' | 'Suspended' | undefined>;
  /** The bucket's lifecycle rules; `[]` when it has none. */
  getLifecycle(): Promise<LifecycleRuleInfo[]>;
  readonly multipart: MultipartOperations;
}
