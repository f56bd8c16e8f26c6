import { createHash, type Hash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { OssErrors } from '../errors';
import { type KeyPage, type ListRequest, listPage } from '../listing';
import { SortedKeySet } from '../sorted-index';
import { type StageLimits, stageStream } from './staging';
import type {
  Backend,
  BucketConfig,
  IndexEntry,
  LiveRecords,
  ObjectRecord,
  PartRecord,
  StagedBlob,
  UploadRecord,
} from './types';
import { IndexFold, NULL_VERSION, newVersionId, versionIdOf } from './versions';

export interface UploadState {
  record: UploadRecord;
  parts: Map<number, PartRecord>;
  completing: boolean;
}

export interface BucketState {
  config: BucketConfig;
  /** Current objects and, once versioning has been on, every version (store/versions.ts). */
  fold: IndexFold;
  /** Keys with a current object, sorted (ListObjects). */
  index: SortedKeySet;
  /** Keys with any version, sorted (ListObjectVersions); only once versioning has been on. */
  versionIndex: SortedKeySet | undefined;
  uploads: Map<string, UploadState>;
}

/** Which version of a key an operation means: the current one, or a version id (`null` included). */
export type VersionRef = string | undefined;

/** Range to read from an object (inclusive end), or none (HEAD, 304…). */
export type ReadPlan = { start: number; end: number } | undefined;

/** The result of a write: the new record and the current object it replaced (for events' deltaSize). */
export interface Committed {
  record: ObjectRecord;
  previous: ObjectRecord | undefined;
}

/** What a DeleteObject did: the version removed for good, or the delete marker added. */
export interface Deleted {
  /** The version removed (a delete marker when one was removed), if any. */
  removed: ObjectRecord | undefined;
  /** The delete marker created (versioned buckets, no version id given). */
  marker: ObjectRecord | undefined;
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
  /** Epoch ms for the times the engine stamps itself (delete markers, parts); the server sets its clock. */
  now: () => number = Date.now;

  private constructor(
    private readonly backend: Backend,
    private readonly log: (line: string) => void,
  ) {}

  /** Loads everything the backend holds and rebuilds the index. */
  static async open(backend: Backend, log: (line: string) => void = () => {}): Promise<ObjectEngine> {
    const engine = new ObjectEngine(backend, log);
    for (const loaded of await backend.load()) {
      const fold = loaded.index;
      const state: BucketState = {
        config: loaded.config,
        fold,
        index: SortedKeySet.from(fold.objects.keys()),
        versionIndex: undefined,
        uploads: new Map(),
      };
      if (loaded.config.versioning) state.versionIndex = allKeys(fold);
      for (const { upload, parts } of loaded.uploads) {
        // Completed just before a crash: a version names the upload but its parts were not removed yet.
        if (fold.history(upload.key).some((v) => v.uploadId === upload.uploadId)) {
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
        return state.fold.objects.size;
      },
      // A copy: the snapshot is written while writes go on.
      records: () => Array.from(state.fold.records()),
    };
  }

  /** Journals a change, then applies it to the in-memory index (and key sets). */
  private async record(bucket: string, state: BucketState, entry: IndexEntry): Promise<void> {
    await this.backend.journal(bucket, [entry], this.live(state));
    state.fold.apply(entry);
    const key = 'put' in entry ? entry.put.key : 'set' in entry ? entry.set.key : entry.del;
    if (state.fold.objects.has(key)) state.index.add(key);
    else state.index.delete(key);
    if (state.versionIndex) {
      if (state.fold.versions.has(key) || state.fold.objects.has(key)) state.versionIndex.add(key);
      else state.versionIndex.delete(key);
    }
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
      this.buckets.set(config.name, {
        config,
        fold: new IndexFold(),
        index: new SortedKeySet(),
        versionIndex: config.versioning ? new SortedKeySet() : undefined,
        uploads: new Map(),
      });
      return true;
    });
  }

  /** Deletes an empty bucket (no objects, no multipart uploads in progress). */
  async deleteBucket(name: string): Promise<void> {
    await this.exclusive(`bucket\0${name}`, async () => {
      const state = this.requireBucket(name);
      if (state.fold.objects.size > 0 || state.fold.versions.size > 0 || state.uploads.size > 0)
        throw OssErrors.bucketNotEmpty(name);
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
      if (config.versioning && !state.versionIndex) state.versionIndex = allKeys(state.fold);
      return config;
    });
  }

  // ---- reading ----

  /** The current object of a key (never a delete marker). */
  get(bucket: string, key: string): ObjectRecord | undefined {
    return this.buckets.get(bucket)?.fold.objects.get(key);
  }

  /**
   * Whether a write to `key` would replace an object, which `x-oss-forbid-overwrite` refuses; never in a
   * bucket with versioning enabled, where the old object stays as a version (OSS ignores the header there).
   */
  wouldOverwrite(bucket: string, key: string): boolean {
    const state = this.requireBucket(bucket);
    return state.config.versioning !== 'Enabled' && state.fold.objects.has(key);
  }

  /** Every version of a key, newest first, delete markers included. */
  versions(bucket: string, key: string): ObjectRecord[] {
    return this.requireBucket(bucket).fold.history(key);
  }

  /**
   * The record an operation on `key` (and `versionId`) reads: 404 NoSuchKey when there is no current
   * object (with `x-oss-delete-marker` when a delete marker hides it), 404 NoSuchVersion for an unknown
   * version, 405 MethodNotAllowed for a delete marker named by its id.
   */
  lookup(bucket: string, key: string, versionId: VersionRef): ObjectRecord {
    const state = this.requireBucket(bucket);
    if (versionId === undefined) {
      const record = state.fold.objects.get(key);
      if (record) return record;
      const latest = state.fold.versions.get(key)?.[0];
      if (latest?.deleteMarker)
        throw OssErrors.noSuchKey(key, { 'x-oss-delete-marker': 'true', 'x-oss-version-id': versionIdOf(latest) });
      throw OssErrors.noSuchKey(key);
    }
    const version = state.fold.history(key).find((v) => versionIdOf(v) === versionId);
    if (!version) throw OssErrors.noSuchVersion(versionId);
    if (version.deleteMarker) throw OssErrors.deleteMarkerMethodNotAllowed(versionId);
    return version;
  }

  /** One page of a bucket's keys with their records. */
  list(bucket: string, req: ListRequest): KeyPage & { records: ObjectRecord[] } {
    const state = this.requireBucket(bucket);
    const page = listPage(state.index, req);
    return { ...page, records: page.keys.map((k) => state.fold.objects.get(k)!) };
  }

  /** The sorted keys to list versions over: every key with a version. */
  versionKeys(bucket: string): SortedKeySet {
    const state = this.requireBucket(bucket);
    return state.versionIndex ?? state.index;
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
    versionId?: VersionRef,
  ): Promise<{ record: ObjectRecord; range: ReadPlan; stream?: Readable }> {
    for (let attempt = 0; ; attempt++) {
      const record = this.lookup(bucket, key, versionId);
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
   * Commits a record for `key` under the key's lock: `make` sees the current record and returns the new
   * one (publishing its body). A `new` write becomes the key's current version (with a new version id
   * when versioning is on, `null` while suspended); an `in-place` one replaces the version it was made
   * from (attributes, appends). The change is journaled before it becomes visible.
   */
  private async commit(
    bucket: string,
    key: string,
    make: (previous: ObjectRecord | undefined) => Promise<ObjectRecord>,
    options: {
      forbidOverwrite?: boolean;
      forbidEc?: string;
      onFail?: () => Promise<void>;
      inPlace?: boolean;
    } = {},
  ): Promise<Committed> {
    return this.exclusive(`${bucket}\0${key}`, async () => {
      let record: ObjectRecord | undefined;
      let replaced: ObjectRecord | undefined;
      try {
        const state = this.requireBucket(bucket);
        const previous = state.fold.objects.get(key);
        const versioning = state.config.versioning;
        if (options.forbidOverwrite && previous && versioning !== 'Enabled')
          throw OssErrors.fileAlreadyExists(options.forbidEc);
        record = await make(previous);
        if (this.buckets.get(bucket) !== state) throw OssErrors.noSuchBucket(bucket);
        if (!options.inPlace && versioning) {
          record = { ...record, versionId: versioning === 'Enabled' ? newVersionId() : NULL_VERSION };
        }
        const id = versionIdOf(record);
        replaced =
          options.inPlace || versioning !== undefined
            ? state.fold.history(key).find((v) => versionIdOf(v) === id)
            : previous;
        await this.record(bucket, state, options.inPlace ? { set: record } : { put: record });
        if (replaced && !replaced.deleteMarker && replaced.blob !== record.blob) this.dropBlob(replaced.blob);
        return { record, previous };
      } catch (error) {
        if (record && !this.isLive(bucket, key, record.blob)) this.dropBlob(record.blob);
        await options.onFail?.();
        throw error;
      }
    });
  }

  /** Whether a version of `key` still uses `blob`. */
  private isLive(bucket: string, key: string, blob: string): boolean {
    return (
      this.buckets
        .get(bucket)
        ?.fold.history(key)
        .some((v) => v.blob === blob) ?? false
    );
  }

  private dropBlob(blob: string): void {
    if (blob === '') return;
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
    source: { bucket: string; key: string; versionId?: VersionRef },
    bucket: string,
    key: string,
    attrs: (source: ObjectRecord) => Omit<ObjectRecord, 'key' | 'blob'>,
    options: { forbidOverwrite?: boolean; check?: (source: ObjectRecord) => void } = {},
  ): Promise<Committed & { source: ObjectRecord }> {
    // A versioned bucket keeps the old version, so a copy onto itself needs its own body.
    if (
      source.bucket === bucket &&
      source.key === key &&
      source.versionId === undefined &&
      !this.requireBucket(bucket).config.versioning
    ) {
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
      const src = this.lookup(source.bucket, source.key, source.versionId);
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
    const current = this.get(bucket, key);
    return this.commit(
      bucket,
      key,
      async (previous) => {
        if (previous !== current) throw OssErrors.positionNotEqualToLength(previous?.size ?? 0);
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
      },
      { inPlace: current !== undefined },
    );
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

  /** Changes the attributes of an object (the current one, or a version) without touching its body. */
  async updateObject(
    bucket: string,
    key: string,
    update: (record: ObjectRecord) => ObjectRecord,
    versionId?: VersionRef,
  ): Promise<ObjectRecord> {
    const done = await this.commit(
      bucket,
      key,
      async () => {
        const target = this.lookup(bucket, key, versionId);
        return {
          ...update(target),
          key,
          blob: target.blob,
          ...(target.versionId ? { versionId: target.versionId } : {}),
        };
      },
      { inPlace: true },
    );
    return done.record;
  }

  /**
   * DeleteObject. Without versioning the key's object is removed. With versioning on, no version id adds
   * a delete marker (while suspended, the marker is the `null` version and replaces it); a version id
   * removes that version for good. Deleting something that is not there changes nothing.
   */
  async deleteObject(bucket: string, key: string, versionId?: VersionRef): Promise<Deleted> {
    return this.exclusive(`${bucket}\0${key}`, async () => {
      const state = this.requireBucket(bucket);
      const versioning = state.config.versioning;
      if (versionId === undefined && versioning) {
        const marker: ObjectRecord = {
          key,
          blob: '',
          size: 0,
          etag: '',
          crc64: '0',
          lastModified: Math.floor(this.now() / 1000) * 1000,
          type: 'Normal',
          storageClass: state.config.storageClass,
          versionId: versioning === 'Enabled' ? newVersionId() : NULL_VERSION,
          deleteMarker: true,
        };
        const replaced = state.fold.history(key).find((v) => versionIdOf(v) === marker.versionId);
        await this.record(bucket, state, { put: marker });
        if (replaced && !replaced.deleteMarker) this.dropBlob(replaced.blob);
        return { removed: replaced, marker };
      }
      const target =
        versionId === undefined
          ? state.fold.objects.get(key)
          : state.fold.history(key).find((v) => versionIdOf(v) === versionId);
      if (!target) return { removed: undefined, marker: undefined };
      await this.record(
        bucket,
        state,
        state.fold.versions.has(key) ? { del: key, versionId: versionIdOf(target) } : { del: key },
      );
      if (!target.deleteMarker) this.dropBlob(target.blob);
      return { removed: target, marker: undefined };
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
        lastModified: Math.floor(this.now() / 1000) * 1000,
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
      if (
        options.forbidOverwrite &&
        this.get(bucket, upload.record.key) &&
        this.requireBucket(bucket).config.versioning !== 'Enabled'
      )
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

/** Every key that has a version, sorted. */
function allKeys(fold: IndexFold): SortedKeySet {
  return SortedKeySet.from(new Set([...fold.objects.keys(), ...fold.versions.keys()]));
}
