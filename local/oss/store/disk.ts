import { createHash, randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { copyFile, mkdir, open, readdir, readFile, rename, rm, stat, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { lockDataDir, releaseDataDir } from './data-dir-lock';
import { bufferedSink, fsyncDir, WRITE_BUFFER, writeFileAtomic } from './disk-files';
import { COMPACT_MIN_LINES, DiskIndexLog } from './disk-index';
import { readJsonLines } from './journal';
import type {
  Backend,
  BlobPlace,
  BlobSink,
  BucketConfig,
  IndexEntry,
  LiveRecords,
  LoadedBucket,
  PartRecord,
  UploadRecord,
} from './types';

/*
 * On-disk layout under the data directory (documented in docs/local-oss-server.md):
 *
 *   server.pid                       the running server (one server per directory)
 *   clean-shutdown                   present only between a clean close and the next start
 *   tmp/                             bodies being received; emptied at start
 *   buckets/<bucket>/bucket.json     bucket configuration (ACL, CORS, lifecycle…)
 *   buckets/<bucket>/index/snapshot.jsonl   {"snapshot":1,"from":G} then every version record, oldest first
 *   buckets/<bucket>/index/journal-<G>.jsonl {"put"|"set":record} / {"del":key[,"versionId"]} lines, replayed from G on
 *   buckets/<bucket>/objects/<hh>/<sha256(key)>-<unique>   object bodies, named by a hash of the key
 *   buckets/<bucket>/uploads/<uploadId>/upload.json, parts.jsonl, part-<n>-<unique>
 *
 * A body is written to tmp/, fsynced, renamed into objects/ (directory fsynced), and only then journaled:
 * the index never names a body that is not complete and durable. A crash between rename and journal
 * leaves an unreferenced body, removed by a sweep after an unclean shutdown.
 */

/** Stores everything under a data directory so that restarts keep it and crashes never tear an object. */
export class DiskBackend implements Backend {
  private readonly index: DiskIndexLog;
  private madeDirs = new Set<string>();
  private wasClean = true;
  private readonly openedAt = Date.now();
  private background: Promise<unknown>[] = [];

  private constructor(
    readonly root: string,
    private readonly log: (line: string) => void,
    compactMinLines: number,
  ) {
    this.index = new DiskIndexLog(root, log, compactMinLines, (task) => this.background.push(task));
  }

  /**
   * Opens (creating if needed) a data directory; refuses one another live server is using.
   * `compactMinLines` (tests) lowers the journal length that triggers a snapshot.
   */
  static async open(
    root: string,
    log: (line: string) => void,
    options: { compactMinLines?: number } = {},
  ): Promise<DiskBackend> {
    const backend = new DiskBackend(root, log, options.compactMinLines ?? COMPACT_MIN_LINES);
    await mkdir(join(root, 'buckets'), { recursive: true });
    await lockDataDir(root);
    await rm(join(root, 'tmp'), { recursive: true, force: true });
    await mkdir(join(root, 'tmp'), { recursive: true });
    try {
      await unlink(join(root, 'clean-shutdown'));
    } catch {
      // No marker: either a fresh directory or the last run did not close cleanly.
      backend.wasClean = (await readdir(join(root, 'buckets'))).length === 0;
    }
    return backend;
  }

  private bucketDir(bucket: string): string {
    return join(this.root, 'buckets', bucket);
  }

  async load(): Promise<LoadedBucket[]> {
    const loaded: LoadedBucket[] = [];
    const referenced = new Set<string>();
    for (const name of (await readdir(join(this.root, 'buckets'))).sort()) {
      const dir = this.bucketDir(name);
      let config: BucketConfig;
      try {
        config = JSON.parse(await readFile(join(dir, 'bucket.json'), 'utf8')) as BucketConfig;
      } catch {
        // A bucket whose creation never finished.
        await rm(dir, { recursive: true, force: true });
        continue;
      }
      const index = await this.index.load(name);
      const uploads = await this.loadUploads(name);
      if (!this.wasClean) for (const r of index.records()) referenced.add(r.blob);
      loaded.push({ config, index, uploads });
    }
    if (!this.wasClean) {
      this.log(`data directory was not closed cleanly; sweeping unreferenced object files in the background`);
      this.background.push(
        this.sweep(referenced).catch((error: unknown) => this.log(`sweep failed: ${String(error)}`)),
      );
    }
    return loaded;
  }

  private async loadUploads(bucket: string): Promise<LoadedBucket['uploads']> {
    const dir = join(this.bucketDir(bucket), 'uploads');
    let ids: string[];
    try {
      ids = await readdir(dir);
    } catch {
      return [];
    }
    const uploads: LoadedBucket['uploads'] = [];
    for (const id of ids) {
      const udir = join(dir, id);
      let upload: UploadRecord;
      try {
        upload = JSON.parse(await readFile(join(udir, 'upload.json'), 'utf8')) as UploadRecord;
      } catch {
        await rm(udir, { recursive: true, force: true });
        continue;
      }
      const parts = new Map<number, PartRecord>();
      try {
        await readJsonLines(join(udir, 'parts.jsonl'), (value) => {
          const part = value as PartRecord;
          parts.set(part.partNumber, part);
        });
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      }
      const kept = new Set([...parts.values()].map((p) => p.blob));
      for (const file of await readdir(udir)) {
        if (file.startsWith('part-') && !kept.has(`${bucket}/uploads/${id}/${file}`))
          await unlink(join(udir, file)).catch(() => undefined);
      }
      uploads.push({ upload, parts: [...parts.values()].sort((a, b) => a.partNumber - b.partNumber) });
    }
    return uploads;
  }

  /** Removes object bodies no record names (left by a crash between rename and journal). */
  private async sweep(referenced: Set<string>): Promise<void> {
    let removed = 0;
    for (const bucket of await readdir(join(this.root, 'buckets'))) {
      const objects = join(this.bucketDir(bucket), 'objects');
      let shards: string[];
      try {
        shards = await readdir(objects);
      } catch {
        continue;
      }
      for (const shard of shards) {
        for (const file of await readdir(join(objects, shard)).catch(() => [] as string[])) {
          const id = `${bucket}/objects/${shard}/${file}`;
          if (referenced.has(id)) continue;
          const path = join(objects, shard, file);
          // Bodies written since this start may be about to be journaled: leave them alone.
          const info = await stat(path).catch(() => undefined);
          if (info && info.mtimeMs < this.openedAt - 2000) {
            await unlink(path).catch(() => undefined);
            removed++;
          }
        }
      }
    }
    if (removed > 0) this.log(`removed ${removed} unreferenced object file(s)`);
  }

  async saveBucket(config: BucketConfig): Promise<void> {
    const dir = this.bucketDir(config.name);
    await mkdir(join(dir, 'index'), { recursive: true });
    await writeFileAtomic(join(dir, 'bucket.json'), JSON.stringify(config));
  }

  async removeBucket(name: string): Promise<void> {
    await this.index.forget(name);
    for (const d of [...this.madeDirs]) if (d.startsWith(this.bucketDir(name))) this.madeDirs.delete(d);
    // Rename first so a crash mid-delete cannot leave a half-deleted bucket that loads.
    const doomed = join(this.root, 'tmp', `deleted-${name}-${randomBytes(4).toString('hex')}`);
    await rename(this.bucketDir(name), doomed);
    await fsyncDir(join(this.root, 'buckets'));
    await rm(doomed, { recursive: true, force: true });
  }

  async createSink(): Promise<BlobSink> {
    const token = randomBytes(12).toString('hex');
    const path = join(this.root, 'tmp', token);
    const handle = await open(path, 'wx');
    return bufferedSink(
      handle,
      0,
      async () => token,
      async () => {
        await unlink(path).catch(() => undefined);
      },
    );
  }

  private placePath(place: BlobPlace): { id: string; dir: string } {
    const unique = `${Date.now().toString(36)}${randomBytes(5).toString('hex')}`;
    if ('key' in place) {
      const hash = createHash('sha256').update(place.key).digest('hex');
      const shard = hash.slice(0, 2);
      return {
        id: `${place.bucket}/objects/${shard}/${hash}-${unique}`,
        dir: join(this.bucketDir(place.bucket), 'objects', shard),
      };
    }
    return {
      id: `${place.bucket}/uploads/${place.uploadId}/part-${place.partNumber}-${unique}`,
      dir: join(this.bucketDir(place.bucket), 'uploads', place.uploadId),
    };
  }

  private async ensureDir(dir: string): Promise<void> {
    if (this.madeDirs.has(dir)) return;
    await mkdir(dir, { recursive: true });
    this.madeDirs.add(dir);
  }

  async publish(token: string, place: BlobPlace): Promise<string> {
    const { id, dir } = this.placePath(place);
    await this.ensureDir(dir);
    await rename(join(this.root, 'tmp', token), join(this.root, 'buckets', id));
    await fsyncDir(dir);
    return id;
  }

  async discard(token: string): Promise<void> {
    await unlink(join(this.root, 'tmp', token)).catch(() => undefined);
  }

  async openRead(blob: string, start: number, end: number): Promise<Readable> {
    const handle = await open(join(this.root, 'buckets', blob), 'r');
    if (end < start) {
      await handle.close();
      return Readable.from([]);
    }
    return handle.createReadStream({ start, end, highWaterMark: WRITE_BUFFER, autoClose: true });
  }

  async removeBlob(blob: string): Promise<void> {
    await unlink(join(this.root, 'buckets', blob)).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOENT') throw error;
    });
  }

  async stageCopy(blob: string): Promise<string> {
    const token = randomBytes(12).toString('hex');
    const path = join(this.root, 'tmp', token);
    // Cheap on file systems with reflinks; a plain copy elsewhere.
    await copyFile(join(this.root, 'buckets', blob), path, constants.COPYFILE_FICLONE);
    const handle = await open(path, 'r+');
    try {
      await handle.datasync();
    } finally {
      await handle.close();
    }
    return token;
  }

  async openAppend(
    blob: string | undefined,
    size: number,
    place: BlobPlace,
  ): Promise<{ blob: string; sink: BlobSink }> {
    if (blob === undefined) {
      const { id, dir } = this.placePath(place);
      await this.ensureDir(dir);
      const path = join(this.root, 'buckets', id);
      const handle = await open(path, 'wx');
      const sink = bufferedSink(
        handle,
        0,
        async () => {
          await fsyncDir(dir);
          return id;
        },
        async () => {
          await unlink(path).catch(() => undefined);
        },
      );
      return { blob: id, sink };
    }
    const handle = await open(join(this.root, 'buckets', blob), 'r+');
    // Bytes past the committed size belong to an append that never committed.
    await handle.truncate(size);
    return {
      blob,
      sink: bufferedSink(
        handle,
        size,
        async () => blob,
        async () => {},
      ),
    };
  }

  async journal(bucket: string, entries: IndexEntry[], live: LiveRecords): Promise<void> {
    await this.index.append(bucket, entries, live);
  }

  async saveUpload(bucket: string, upload: UploadRecord): Promise<void> {
    const dir = join(this.bucketDir(bucket), 'uploads', upload.uploadId);
    await this.ensureDir(dir);
    await writeFileAtomic(join(dir, 'upload.json'), JSON.stringify(upload));
  }

  async savePart(bucket: string, uploadId: string, part: PartRecord): Promise<void> {
    const handle = await open(join(this.bucketDir(bucket), 'uploads', uploadId, 'parts.jsonl'), 'a');
    try {
      await handle.write(`${JSON.stringify(part)}\n`);
      await handle.datasync();
    } finally {
      await handle.close();
    }
  }

  async removeUpload(bucket: string, uploadId: string): Promise<void> {
    const dir = join(this.bucketDir(bucket), 'uploads', uploadId);
    this.madeDirs.delete(dir);
    await rm(dir, { recursive: true, force: true });
  }

  async close(): Promise<void> {
    await Promise.allSettled(this.background);
    await this.index.close();
    await writeFile(join(this.root, 'clean-shutdown'), `${new Date().toISOString()}\n`);
    await unlink(join(this.root, 'server.pid')).catch(() => undefined);
    releaseDataDir(this.root);
  }
}

// The seeding fast path lives with the index files; benchmarks import it from here too.
export { seedBucketIndex } from './disk-index';
