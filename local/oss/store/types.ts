import type { Readable } from 'node:stream';
import type { CorsConfig } from '../cors';
import type { IndexFold } from './versions';

/** What the server knows about one object. Records are immutable: a change makes a new record. */
export interface ObjectRecord {
  key: string;
  /** Backend id of the body. */
  blob: string;
  size: number;
  /** Unquoted uppercase. */
  etag: string;
  /** Base64 MD5 of the body, sent as Content-MD5 on GET/HEAD for objects uploaded whole. */
  contentMd5?: string;
  /** CRC-64/XZ, decimal. */
  crc64: string;
  /** Milliseconds since the epoch, whole seconds (Last-Modified has one-second resolution). */
  lastModified: number;
  type: 'Normal' | 'Multipart' | 'Appendable';
  storageClass: string;
  /** Standard headers replayed on GET: content-type, cache-control, content-disposition, content-encoding, content-language, expires. */
  headers?: Record<string, string>;
  /** `x-oss-meta-*` headers, full lowercase names. */
  meta?: Record<string, string>;
  sse?: { algorithm: string; keyId?: string };
  /** Object ACL; absent means `default` (inherit the bucket's). */
  acl?: string;
  tags?: Array<[string, string]>;
  /** Set on objects made by CompleteMultipartUpload, to recognise an upload completed before a crash. */
  uploadId?: string;
  /** The last RestoreObject of a cold object (Archive and colder). */
  restore?: RestoreRecord;
  /** Set on versions written while bucket versioning was on (`null` while suspended); absent before. */
  versionId?: string;
  /** A delete marker: a version without a body that hides the key (its blob is empty). */
  deleteMarker?: true;
}

/** A restore of a cold object: running until `readyAt`, then readable until `expiresAt` (ms since the epoch). */
export interface RestoreRecord {
  readyAt: number;
  expiresAt: number;
  days: number;
  tier?: string;
}

export interface BucketConfig {
  name: string;
  created: number;
  storageClass: string;
  redundancy: string;
  acl: string;
  cors?: CorsConfig;
  /** The LifecycleConfiguration body as stored by PutBucketLifecycle (expiry is not run). */
  lifecycle?: string;
  /** Absent until versioning is first turned on; it can then be suspended, never turned off. */
  versioning?: 'Enabled' | 'Suspended';
}

export interface UploadRecord {
  uploadId: string;
  key: string;
  initiated: number;
  storageClass: string;
  headers?: Record<string, string>;
  meta?: Record<string, string>;
  sse?: { algorithm: string; keyId?: string };
  acl?: string;
  tags?: Array<[string, string]>;
}

export interface PartRecord {
  partNumber: number;
  blob: string;
  size: number;
  etag: string;
  crc64: string;
  lastModified: number;
}

/**
 * One change to a bucket's object index, as journaled (store/versions.ts gives the meaning): `put` a new
 * current version (replacing one with the same version id), `set` a version in place (attributes,
 * appends), `del` a key or one version of it.
 */
export type IndexEntry = { put: ObjectRecord } | { set: ObjectRecord } | { del: string; versionId?: string };

/** A bucket's current records, read only when a compaction is due. */
export interface LiveRecords {
  count: number;
  /** Every version of every key, in an order whose replay as puts rebuilds the index. */
  records(): Iterable<ObjectRecord>;
}

/** Where a published blob lives. */
export type BlobPlace = { bucket: string; key: string } | { bucket: string; uploadId: string; partNumber: number };

/** A body being written; nothing is visible until it is published. */
export interface BlobSink {
  write(chunk: Buffer): Promise<void>;
  /** Makes the bytes durable; returns a token for `publish`. */
  finish(): Promise<string>;
  /** Drops the bytes (failed or aborted upload). */
  abort(): Promise<void>;
}

/** A body written and durable, not yet visible under any key. */
export interface StagedBlob {
  token: string;
  size: number;
  md5: Buffer;
  crc64: string;
}

export interface LoadedBucket {
  config: BucketConfig;
  index: IndexFold;
  uploads: Array<{ upload: UploadRecord; parts: PartRecord[] }>;
}

/**
 * Durable storage behind the object store: where bodies and metadata live. The engine keeps the index
 * in memory and decides; the backend only stores.
 */
export interface Backend {
  /** Everything stored, to rebuild the in-memory index. */
  load(): Promise<LoadedBucket[]>;
  saveBucket(config: BucketConfig): Promise<void>;
  removeBucket(name: string): Promise<void>;

  createSink(): Promise<BlobSink>;
  /** Moves a staged body into place (atomically) and returns its blob id. */
  publish(token: string, place: BlobPlace): Promise<string>;
  discard(token: string): Promise<void>;
  /** A stream of bytes `start..end` (inclusive) of a blob; rejects with code ENOENT when the blob is gone. */
  openRead(blob: string, start: number, end: number): Promise<Readable>;
  removeBlob(blob: string): Promise<void>;
  /** Stages a copy of a blob (for CopyObject), durable. */
  stageCopy(blob: string): Promise<string>;
  /**
   * Opens an appendable object's body for writing at `size` (its committed length; any bytes beyond are
   * leftovers of an append that never committed and are cut). Creates the body when `blob` is undefined.
   */
  openAppend(blob: string | undefined, size: number, place: BlobPlace): Promise<{ blob: string; sink: BlobSink }>;

  /** Appends index changes durably (group-committed). `live` describes the bucket's records, for compaction. */
  journal(bucket: string, entries: IndexEntry[], live: LiveRecords): Promise<void>;
  saveUpload(bucket: string, upload: UploadRecord): Promise<void>;
  savePart(bucket: string, uploadId: string, part: PartRecord): Promise<void>;
  removeUpload(bucket: string, uploadId: string): Promise<void>;

  /** Waits for pending metadata writes and releases files. */
  close(): Promise<void>;
}
