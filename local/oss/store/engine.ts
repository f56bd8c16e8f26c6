import { createHash, type Hash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { OssErrors } from '../errors';
import { type KeyPage, type ListRequest, listPage } from '../listing';
import { SortedKeySet } from '../sorted-index';
import { type StageLimits, stageStream } from './staging';
import type { Backend, BucketConfig, LiveRecords, ObjectRecord, PartRecord, StagedBlob, UploadRecord } from './types';

export interface UploadState {
  record: UploadRecord;
  parts: Map<number, PartRecord>;
  completing: boolean;
}

export interface BucketState {
  config: BucketConfig;
  objects: Map<string, ObjectRecord>;
  index: SortedKeySet;
  uploads: Map<string, UploadState>;
}

/** Range to read from an object (inclusive end), or none (HEAD, 304…). */
export type ReadPlan = { start: number; end: number } | undefined;

/** The result of a write: the new record and the one it replaced (for events' deltaSize). */
export interface Committed {
  record: ObjectRecord;
  previous: ObjectRecord | undefined;
}

const isGone = (error: unknown) => (error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';

/**
 * The storage engine behind the server: buckets, their sorted in-memory index, multipart uploads, and the rules that keep
 * them consistent with what the backend has made durable. Writes to one key are committed one at a
 * time (whoever commits last wins); a body becomes visible only once it is durable and journaled, and
 * readers always get a whole body.
 */
export class ObjectEngine {
  private buckets = new Map<string, BucketState>();
  private locks = new Map<string, Promise<void>>();
  // Running MD5 states of appendable objects, so an append need not re-read the object.
  private appendHashes = new Map<string, Hash>();

  private constructor(
    private readonly backend: Backend,
    private readonly log: (line: string) => void,
  ) {}

  /** Loads everything the backend holds and rebuilds the index. */
  static async open(backend: Backend, log: (line: string) => void = () => {}): Promise<ObjectEngine> {
    const engine = new ObjectEngine(backend, log);
    for (const loaded of await backend.load()) {
      const objects = new Map<string, ObjectRecord>();
      for (const record of loaded.records) objects.set(record.key, record);
      const state: BucketState = {
        config: loaded.config,
        objects,
        index: SortedKeySet.from(objects.keys()),
        uploads: new Map(),
      };
      for (const { upload, parts } of loaded.uploads) {
        // Completed just before a crash: the object names the upload but its parts were not removed yet.
        if (objects.get(upload.key)?.uploadId === upload.uploadId) {
          await backend.removeUpload(loaded.config.name, upload.uploadId);
          continue;
        }
        state.uploads.set(upload.uploadId, {
          record: upload,
          parts: new Map(parts.map((p) => [p.partNumber, p])),
          completing: false,
        });
      }
      engine.buckets.set(loaded.config.name, state);
      // Lets the backend fold long journals into a snapshot now rather than at the next write.
      await backend.journal(loaded.config.name, [], engine.live(state));
    }
    return engine;
  }

  private live(state: BucketState): LiveRecords {
    return {
      get count() {
        return state.objects.size;
      },
      records: () => Array.from(state.objects.values()),
    };
  }

  private async exclusive<T>(lockKey: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.locks.get(lockKey) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((resolve) => (release = resolve));
    const chain = previous.then(() => mine);
    this.locks.set(lockKey, chain);
    await previous;
    try {
      return await fn();
    } finally {
      release();
      if (this.locks.get(lockKey) === chain) this.locks.delete(lockKey);
    }
  }

  // ---- buckets ----

  /** Bucket configurations, sorted by name. */
  listBuckets(): BucketConfig[] {
    return [...this.buckets.values()].map((b) => b.config).sort((a, b) => (a.name < b.name ? -1 : 1));
  }

  bucket(name: string): BucketState | undefined {
    return this.buckets.get(name);
  }

  /** The bucket, or OSS's 404 NoSuchBucket. */
  requireBucket(name: string): BucketState {
    const state = this.buckets.get(name);
    if (!state) throw OssErrors.noSuchBucket(name);
    return state;
  }

  /** Creates a bucket; false when it exists already. */
  async createBucket(config: BucketConfig): Promise<boolean> {
    return this.exclusive(`bucket\0${config.name}`, async () => {
      if (this.buckets.has(config.name)) return false;
      await this.backend.saveBucket(config);
      this.buckets.set(config.name, { config, objects: new Map(), index: new SortedKeySet(), uploads: new Map() });
      return true;
    });
  }

  /** Deletes an empty bucket (no objects, no multipart uploads in progress). */
  async deleteBucket(name: string): Promise<void> {
    await this.exclusive(`bucket\0${name}`, async () => {
      const state = this.requireBucket(name);
      if (state.objects.size > 0 || state.uploads.size > 0) throw OssErrors.bucketNotEmpty(name);
      this.buckets.delete(name);
      await this.backend.removeBucket(name);
    });
  }

  /** Replaces a bucket's configuration with `update(current)`. */
  async updateBucket(name: string, update: (config: BucketConfig) => BucketConfig): Promise<BucketConfig> {
    return this.exclusive(`bucket\0${name}`, async () => {
      const state = this.requireBucket(name);
      const config = update(state.config);
      await this.backend.saveBucket(config);
      state.config = config;
      return config;
    });
  }

  // ---- reading ----

  get(bucket: string, key: string): ObjectRecord | undefined {
    return this.buckets.get(bucket)?.objects.get(key);
  }

  /** One page of a bucket's keys with their records. */
  list(bucket: string, req: ListRequest): KeyPage & { records: ObjectRecord[] } {
    const state = this.requireBucket(bucket);
    const page = listPage(state.index, req);
    return { ...page, records: page.keys.map((k) => state.objects.get(k)!) };
  }

  /**
   * Opens an object for reading. `plan` sees the current record and decides the byte range (or none); it
   * may throw (preconditions). A body replaced between lookup and open is looked up again, so the stream
   * always belongs to the record returned.
   */
  async openObject(
    bucket: string,
    key: string,
    plan: (record: ObjectRecord) => ReadPlan,
  ): Promise<{ record: ObjectRecord; range: ReadPlan; stream?: Readable }> {
    for (let attempt = 0; ; attempt++) {
      const record = this.requireBucket(bucket).objects.get(key);
      if (!record) throw OssErrors.noSuchKey(key);
      const range = plan(record);
      if (range === undefined) return { record, range };
      try {
        return { record, range, stream: await this.backend.openRead(record.blob, range.start, range.end) };
      } catch (error) {
        if (!isGone(error) || attempt >= 5) throw error;
      }
    }
  }

  // ---- writing ----

  /** Streams a body into durable staging (not yet visible), hashing it on the way. */
  async stage(source: AsyncIterable<Uint8Array>, limits: StageLimits = {}): Promise<StagedBlob> {
    return stageStream(await this.backend.createSink(), source, limits);
  }

  /** Drops a staged body that will not be committed. */
  async discard(staged: StagedBlob): Promise<void> {
    await this.backend.discard(staged.token);
  }

  /**
   * Commits a record for `key` under the key's lock: `make` sees the record being replaced and returns
   * the new one (publishing its body). The change is journaled before it becomes visible.
   */
  private async commit(
    bucket: string,
    key: string,
    make: (previous: ObjectRecord | undefined) => Promise<ObjectRecord>,
    options: { forbidOverwrite?: boolean; forbidEc?: string; onFail?: () => Promise<void> } = {},
  ): Promise<Committed> {
    return this.exclusive(`${bucket}\0${key}`, async () => {
      let record: ObjectRecord | undefined;
      try {
        const state = this.requireBucket(bucket);
        const previous = state.objects.get(key);
        if (options.forbidOverwrite && previous) throw OssErrors.fileAlreadyExists(options.forbidEc);
        record = await make(previous);
        if (this.buckets.get(bucket) !== state) throw OssErrors.noSuchBucket(bucket);
        await this.backend.journal(bucket, [{ put: record }], this.live(state));
        state.objects.set(key, record);
        state.index.add(key);
        if (previous && previous.blob !== record.blob) this.dropBlob(previous.blob);
        return { record, previous };
      } catch (error) {
        if (record && record.blob !== this.get(bucket, key)?.blob) this.dropBlob(record.blob);
        await options.onFail?.();
        throw error;
      }
    });
  }

  private dropBlob(blob: string): void {
    this.appendHashes.delete(blob);
    this.backend.removeBlob(blob).catch((error: unknown) => this.log(`could not remove ${blob}: ${String(error)}`));
  }

  /** Makes a staged body the object `key` (PutObject, PostObject). */
  async putObject(
    bucket: string,
    key: string,
    staged: StagedBlob,
    attrs: Omit<ObjectRecord, 'key' | 'blob'>,
    options: { forbidOverwrite?: boolean; forbidEc?: string } = {},
  ): Promise<Committed> {
    let published = false;
    return this.commit(
      bucket,
      key,
      async () => {
        const blob = await this.backend.publish(staged.token, { bucket, key });
        published = true;
        return { ...attrs, key, blob };
      },
      { ...options, onFail: async () => (published ? undefined : this.backend.discard(staged.token)) },
    );
  }

  /**
   * CopyObject. Copying an object onto itself only changes its metadata (ali-oss `putMeta` relies on
   * that); otherwise the body is copied. `attrs` builds the new record's attributes from the source's.
   */
  async copyObject(
    source: { bucket: string; key: string },
    bucket: string,
    key: string,
    attrs: (source: ObjectRecord) => Omit<ObjectRecord, 'key' | 'blob'>,
    options: { forbidOverwrite?: boolean; check?: (source: ObjectRecord) => void } = {},
  ): Promise<Committed & { source: ObjectRecord }> {
    if (source.bucket === bucket && source.key === key) {
      let src: ObjectRecord | undefined;
      const done = await this.commit(bucket, key, async (previous) => {
        if (!previous) throw OssErrors.noSuchKey(source.key);
        options.check?.(previous);
        src = previous;
        return { ...attrs(previous), key, blob: previous.blob };
      });
      return { ...done, source: src! };
    }
    for (let attempt = 0; ; attempt++) {
      const src = this.requireBucket(source.bucket).objects.get(source.key);
      if (!src) throw OssErrors.noSuchKey(source.key);
      options.check?.(src);
      let token: string;
      try {
        token = await this.backend.stageCopy(src.blob);
      } catch (error) {
        if (isGone(error) && attempt < 5) continue;
        throw error;
      }
      const staged: StagedBlob = { token, size: src.size, md5: Buffer.alloc(0), crc64: src.crc64 };
      const done = await this.putObject(bucket, key, staged, attrs(src), { forbidOverwrite: options.forbidOverwrite });
      return { ...done, source: src };
    }
  }

  /**
   * AppendObject: adds a body at `position`, which must equal the object's length (409
   * PositionNotEqualToLength otherwise). The first append creates an Appendable object with `attrs`;
   * later ones keep its attributes.
   */
  async appendObject(
    bucket: string,
    key: string,
    position: number,
    source: AsyncIterable<Uint8Array>,
    attrs: Omit<ObjectRecord, 'key' | 'blob' | 'size' | 'etag' | 'crc64' | 'type' | 'contentMd5'>,
    limits: StageLimits = {},
    /** Runs after the bytes are written and before they are committed; may throw to refuse them. */
    verify: () => void = () => {},
  ): Promise<Committed> {
    return this.commit(bucket, key, async (previous) => {
      if (previous && previous.type !== 'Appendable') throw OssErrors.objectNotAppendable();
      const size = previous?.size ?? 0;
      if (position !== size) throw OssErrors.positionNotEqualToLength(size);
      const hash = previous ? await this.appendHash(previous) : createHash('md5');
      const { blob, sink } = await this.backend.openAppend(previous?.blob, size, { bucket, key });
      const staged = await stageStream(sink, source, { ...limits, crcFrom: previous?.crc64 ?? '0', md5: hash });
      // Bytes written past the committed length stay invisible (reads stop at `size`) and are cut by the next append.
      try {
        verify();
      } catch (error) {
        if (!previous) await this.backend.removeBlob(blob);
        throw error;
      }
      this.appendHashes.set(blob, hash);
      const base = previous ?? { ...attrs, key };
      return {
        ...base,
        lastModified: attrs.lastModified,
        key,
        blob,
        size: size + staged.size,
        etag: staged.md5.toString('hex').toUpperCase(),
        crc64: staged.crc64,
        type: 'Appendable',
      } satisfies ObjectRecord;
    });
  }

  /** The MD5 state after an appendable object's current bytes (re-read once after a restart). */
  private async appendHash(record: ObjectRecord): Promise<Hash> {
    const cached = this.appendHashes.get(record.blob);
    if (cached) return cached.copy();
    const hash = createHash('md5');
    if (record.size > 0)
      for await (const chunk of await this.backend.openRead(record.blob, 0, record.size - 1))
        hash.update(chunk as Buffer);
    return hash;
  }

  /** Changes an object's attributes (ACL, tags) without touching its body. */
  async updateObject(
    bucket: string,
    key: string,
    update: (record: ObjectRecord) => ObjectRecord,
  ): Promise<ObjectRecord> {
    const done = await this.commit(bucket, key, async (previous) => {
      if (!previous) throw OssErrors.noSuchKey(key);
      return { ...update(previous), key, blob: previous.blob };
    });
    return done.record;
  }

  /** Deletes an object; returns what was deleted (undefined when nothing was there). */
  async deleteObject(bucket: string, key: string): Promise<ObjectRecord | undefined> {
    return this.exclusive(`${bucket}\0${key}`, async () => {
      const state = this.requireBucket(bucket);
      const previous = state.objects.get(key);
      if (!previous) return undefined;
      await this.backend.journal(bucket, [{ del: key }], this.live(state));
      state.objects.delete(key);
      state.index.delete(key);
      this.dropBlob(previous.blob);
      return previous;
    });
  }

  // ---- multipart ----

  async initiateUpload(bucket: string, upload: UploadRecord): Promise<void> {
    const state = this.requireBucket(bucket);
    await this.backend.saveUpload(bucket, upload);
    state.uploads.set(upload.uploadId, { record: upload, parts: new Map(), completing: false });
  }

  /** The upload, or OSS's 404 NoSuchUpload (also once it is being completed). */
  requireUpload(bucket: string, uploadId: string, key?: string): UploadState {
    const upload = this.requireBucket(bucket).uploads.get(uploadId);
    if (!upload || upload.completing || (key !== undefined && upload.record.key !== key))
      throw OssErrors.noSuchUpload(uploadId);
    return upload;
  }

  /** Stores a part (replacing an earlier one with the same number). */
  async putPart(
    bucket: string,
    uploadId: string,
    partNumber: number,
    staged: StagedBlob,
    etag: string,
  ): Promise<PartRecord> {
    return this.exclusive(`upload\0${bucket}\0${uploadId}\0${partNumber}`, async () => {
      const upload = this.requireUpload(bucket, uploadId);
      const blob = await this.backend.publish(staged.token, { bucket, uploadId, partNumber });
      const part: PartRecord = {
        partNumber,
        blob,
        size: staged.size,
        etag,
        crc64: staged.crc64,
        lastModified: Math.floor(Date.now() / 1000) * 1000,
      };
      if (this.buckets.get(bucket)?.uploads.get(uploadId) !== upload || upload.completing) {
        await this.backend.removeBlob(blob);
        throw OssErrors.noSuchUpload(uploadId);
      }
      await this.backend.savePart(bucket, uploadId, part);
      const old = upload.parts.get(partNumber);
      upload.parts.set(partNumber, part);
      if (old) this.dropBlob(old.blob);
      return part;
    });
  }

  /**
   * Assembles the chosen parts into the object (streamed, CRC computed over the whole) and ends the
   * upload. Validation of the part list is the caller's (multipart.ts).
   */
  async completeUpload(
    bucket: string,
    uploadId: string,
    parts: readonly PartRecord[],
    attrs: Omit<ObjectRecord, 'key' | 'blob' | 'size' | 'crc64'>,
    options: { forbidOverwrite?: boolean } = {},
  ): Promise<Committed> {
    const upload = this.requireUpload(bucket, uploadId);
    upload.completing = true;
    try {
      if (options.forbidOverwrite && this.get(bucket, upload.record.key))
        throw OssErrors.fileAlreadyExists('0042-00000214');
      const staged = await this.stage(this.concatenate(parts));
      const done = await this.putObject(
        bucket,
        upload.record.key,
        staged,
        { ...attrs, size: staged.size, crc64: staged.crc64 },
        {
          forbidOverwrite: options.forbidOverwrite,
          forbidEc: '0042-00000214',
        },
      );
      await this.finishUpload(bucket, upload);
      return done;
    } catch (error) {
      upload.completing = false;
      throw error;
    }
  }

  private concatenate(parts: readonly PartRecord[]): AsyncIterable<Uint8Array> {
    const backend = this.backend;
    return (async function* () {
      for (const part of parts) {
        if (part.size === 0) continue;
        yield* (await backend.openRead(part.blob, 0, part.size - 1)) as AsyncIterable<Uint8Array>;
      }
    })();
  }

  /** AbortMultipartUpload: drops the upload and its parts. */
  async abortUpload(bucket: string, uploadId: string, key: string): Promise<void> {
    const upload = this.requireUpload(bucket, uploadId, key);
    await this.finishUpload(bucket, upload);
  }

  private async finishUpload(bucket: string, upload: UploadState): Promise<void> {
    this.buckets.get(bucket)?.uploads.delete(upload.record.uploadId);
    for (const part of upload.parts.values()) await this.backend.removeBlob(part.blob);
    await this.backend.removeUpload(bucket, upload.record.uploadId);
  }

  /** Releases the backend. */
  async close(): Promise<void> {
    await Promise.all([...this.locks.values()]);
    await this.backend.close();
  }
}
