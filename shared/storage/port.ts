import type { Readable } from 'node:stream';

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
}

/** One entry of a listing page. */
export interface ObjectSummary {
  key: string;
  size: number;
  etag: string;
  lastModified: Date;
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
}

export interface PutResult {
  etag: string;
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
  complete(
    key: string,
    uploadId: string,
    parts: Array<{ partNumber: number; etag: string }>,
    options?: { forbidOverwrite?: boolean },
  ): Promise<PutResult>;
  abort(key: string, uploadId: string): Promise<void>;
  listUploads(prefix?: string): AsyncIterable<MultipartUpload[]>;
}

/**
 * The object-store port: everything the functions do with their bucket. Absent objects are
 * `undefined`, never errors; other failures throw `StorageError` with a stable code.
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
  /** Deletes in batches of 1000 (OSS's limit per request). */
  deleteMany(keys: readonly string[]): Promise<DeleteManyResult>;
  readonly multipart: MultipartOperations;
}
