import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { constants, createWriteStream } from 'node:fs';
import {
  copyFile,
  type FileHandle,
  mkdir,
  open,
  readdir,
  readFile,
  rename,
  rm,
  stat,
  unlink,
  writeFile,
} from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { JournalFile, readJsonLines } from './journal';
import type {
  Backend,
  BlobPlace,
  BlobSink,
  BucketConfig,
  IndexEntry,
  LiveRecords,
  LoadedBucket,
  ObjectRecord,
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
 *   buckets/<bucket>/index/snapshot.jsonl   {"snapshot":1,"from":G} then one object record per line
 *   buckets/<bucket>/index/journal-<G>.jsonl {"put":record} / {"del":key} lines, replayed from G on
 *   buckets/<bucket>/objects/<hh>/<sha256(key)>-<unique>   object bodies, named by a hash of the key
 *   buckets/<bucket>/uploads/<uploadId>/upload.json, parts.jsonl, part-<n>-<unique>
 *
 * A body is written to tmp/, fsynced, renamed into objects/ (directory fsynced), and only then journaled:
 * the index never names a body that is not complete and durable. A crash between rename and journal
 * leaves an unreferenced body, removed by a sweep after an unclean shutdown.
 */

const WRITE_BUFFER = 1 << 20;
/** Data directories open in this process (the pid file cannot tell two servers of one process apart). */
const openInThisProcess = new Set<string>();
/** A journal is folded into a new snapshot once it has more lines than this and than live objects. */
const COMPACT_MIN_LINES = 50_000;

interface BucketJournal {
  active: JournalFile;
  gen: number;
  /** Lines to replay at the next start (every journal kept). */
  sinceSnapshot: number;
  compacting: boolean;
}

/** Stores everything under a data directory so that restarts keep it and crashes never tear an object. */
export class DiskBackend implements Backend {
  private journals = new Map<string, BucketJournal>();
  private madeDirs = new Set<string>();
  private wasClean = true;
  private readonly openedAt = Date.now();
  private background: Promise<unknown>[] = [];

  private constructor(
    readonly root: string,
    private readonly log: (line: string) => void,
    private readonly compactMinLines: number,
  ) {}

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
    await backend.lock();
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

  private async lock(): Promise<void> {
    const key = resolve(this.root);
    if (openInThisProcess.has(key))
      throw new Error(`data directory ${this.root} is in use by another OSS server in this process`);
    const pidFile = join(this.root, 'server.pid');
    try {
      const pid = Number((await readFile(pidFile, 'utf8')).trim());
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && processAlive(pid)) {
        throw new Error(`data directory ${this.root} is in use by another OSS server (pid ${pid})`);
      }
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    await writeFile(pidFile, `${process.pid}\n`);
    openInThisProcess.add(key);
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
      const records = await this.loadIndex(name);
      const uploads = await this.loadUploads(name);
      if (!this.wasClean) for (const r of records.values()) referenced.add(r.blob);
      loaded.push({ config, records: records.values(), uploads });
    }
    if (!this.wasClean) {
      this.log(`data directory was not closed cleanly; sweeping unreferenced object files in the background`);
      this.background.push(
        this.sweep(referenced).catch((error: unknown) => this.log(`sweep failed: ${String(error)}`)),
      );
    }
    return loaded;
  }

  private async loadIndex(bucket: string): Promise<Map<string, ObjectRecord>> {
    const dir = join(this.bucketDir(bucket), 'index');
    await mkdir(dir, { recursive: true });
    const records = new Map<string, ObjectRecord>();
    let from = 0;
    let first = true;
    const snapshot = join(dir, 'snapshot.jsonl');
    try {
      await readJsonLines(snapshot, (value) => {
        if (first) {
          first = false;
          from = (value as { from?: number }).from ?? 0;
          return;
        }
        const record = value as ObjectRecord;
        records.set(record.key, record);
      });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    const gens = (await readdir(dir))
      .map((f) => /^journal-(\d+)\.jsonl$/.exec(f))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => Number(m[1]))
      .sort((a, b) => a - b);
    let lines = 0;
    for (const gen of gens.filter((g) => g >= from)) {
      lines += await readJsonLines(
        join(dir, `journal-${gen}.jsonl`),
        (value) => {
          const entry = value as IndexEntry;
          if ('put' in entry) records.set(entry.put.key, entry.put);
          else records.delete(entry.del);
        },
        (n) => this.log(`bucket ${bucket}: skipped unreadable line ${n} of journal-${gen}.jsonl`),
      );
    }
    const gen = Math.max(from, gens.at(-1) ?? 0) + 1;
    this.journals.set(bucket, {
      active: await JournalFile.open(join(dir, `journal-${gen}.jsonl`)),
      gen,
      sinceSnapshot: lines,
      compacting: false,
    });
    return records;
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
    const journal = this.journals.get(name);
    this.journals.delete(name);
    if (journal) await journal.active.close();
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
    let journal = this.journals.get(bucket);
    if (!journal) {
      const dir = join(this.bucketDir(bucket), 'index');
      await mkdir(dir, { recursive: true });
      journal = {
        active: await JournalFile.open(join(dir, 'journal-1.jsonl')),
        gen: 1,
        sinceSnapshot: 0,
        compacting: false,
      };
      this.journals.set(bucket, journal);
    }
    await journal.active.append(entries.map((e) => JSON.stringify(e)));
    journal.sinceSnapshot += entries.length;
    if (!journal.compacting && journal.sinceSnapshot > Math.max(this.compactMinLines, live.count)) {
      journal.compacting = true;
      const task = this.compact(bucket, journal, () => live.records()).catch((error: unknown) =>
        this.log(`compaction of ${bucket} failed: ${String(error)}`),
      );
      this.background.push(task);
    }
  }

  /**
   * Folds the journals into a new snapshot. The snapshot is taken right after switching to a new journal;
   * entries of the old journal that were still in flight may be missing from it, so the snapshot says to
   * replay from the old journal on. Replaying whole journals over a snapshot is idempotent.
   */
  private async compact(bucket: string, journal: BucketJournal, live: () => ObjectRecord[]): Promise<void> {
    const dir = join(this.bucketDir(bucket), 'index');
    const oldGen = journal.gen;
    const old = journal.active;
    const next = await JournalFile.open(join(dir, `journal-${oldGen + 1}.jsonl`));
    if (this.journals.get(bucket) !== journal) {
      await next.close();
      return;
    }
    journal.active = next;
    journal.gen = oldGen + 1;
    const records = live();
    try {
      const tmp = join(this.root, 'tmp', `snapshot-${bucket}-${randomBytes(4).toString('hex')}`);
      await writeSnapshotFile(tmp, oldGen, records);
      const handle = await open(tmp, 'r+');
      await handle.datasync();
      await handle.close();
      await rename(tmp, join(dir, 'snapshot.jsonl'));
      await fsyncDir(dir);
      await old.close();
      for (const file of await readdir(dir)) {
        const m = /^journal-(\d+)\.jsonl$/.exec(file);
        if (m && Number(m[1]) < oldGen) await unlink(join(dir, file)).catch(() => undefined);
      }
      journal.sinceSnapshot = old.lines + next.lines;
    } finally {
      journal.compacting = false;
    }
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
    for (const journal of this.journals.values()) await journal.active.close();
    this.journals.clear();
    await writeFile(join(this.root, 'clean-shutdown'), `${new Date().toISOString()}\n`);
    await unlink(join(this.root, 'server.pid')).catch(() => undefined);
    openInThisProcess.delete(resolve(this.root));
  }
}

/**
 * A sink writing sequentially from `position`, in 1 MiB batches, fsynced on finish. One batch may be in
 * flight while the next is filled and hashed, so disk writes overlap the CPU work of the upload.
 */
function bufferedSink(
  handle: FileHandle,
  position: number,
  done: () => Promise<string>,
  cleanup: () => Promise<void>,
): BlobSink {
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let offset = position;
  let closed = false;
  let inFlight: Promise<void> = Promise.resolve();
  const writeAll = async (chunks: Buffer[], bytes: number, at: number) => {
    let written = 0;
    while (written < bytes) {
      const slice = written === 0 ? chunks : [Buffer.concat(chunks).subarray(written)];
      const { bytesWritten } = await handle.writev(slice, at + written);
      written += bytesWritten;
    }
  };
  const flush = async () => {
    // Wait for the previous batch first: at most one write is outstanding, so memory stays bounded.
    await inFlight;
    if (pendingBytes === 0) return;
    const chunks = pending;
    const bytes = pendingBytes;
    pending = [];
    pendingBytes = 0;
    const at = offset;
    offset += bytes;
    inFlight = writeAll(chunks, bytes, at);
    // Marked as handled here; the failure surfaces at the next await of `inFlight`.
    inFlight.catch(() => undefined);
  };
  return {
    async write(chunk) {
      pending.push(chunk);
      pendingBytes += chunk.length;
      if (pendingBytes >= WRITE_BUFFER) await flush();
    },
    async finish() {
      await flush();
      await inFlight;
      await handle.datasync();
      closed = true;
      await handle.close();
      return done();
    },
    async abort() {
      await inFlight.catch(() => undefined);
      if (!closed) {
        closed = true;
        await handle.close().catch(() => undefined);
      }
      await cleanup();
    },
  };
}

/** Writes a small file so that readers see the old or the new content, never a mix. */
async function writeFileAtomic(path: string, text: string): Promise<void> {
  const tmp = `${path}.${randomBytes(4).toString('hex')}.tmp`;
  const handle = await open(tmp, 'w');
  try {
    await handle.writeFile(text);
    await handle.datasync();
  } finally {
    await handle.close();
  }
  await rename(tmp, path);
  await fsyncDir(join(path, '..'));
}

/** Makes a rename or file creation in `dir` durable. */
async function fsyncDir(dir: string): Promise<void> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(dir, 'r');
    await handle.sync();
  } catch {
    // Some file systems refuse fsync on directories; the rename is still atomic.
  } finally {
    await handle?.close();
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Writes an index snapshot (a header line, then one JSON record per line) in large batches. */
async function writeSnapshotFile(file: string, from: number, records: Iterable<ObjectRecord>): Promise<void> {
  const out = createWriteStream(file, { highWaterMark: WRITE_BUFFER });
  const write = async (text: string) => {
    if (!out.write(text)) await once(out, 'drain');
  };
  await write(`${JSON.stringify({ snapshot: 1, from })}\n`);
  let batch = '';
  for (const record of records) {
    batch += `${JSON.stringify(record)}\n`;
    if (batch.length > WRITE_BUFFER) {
      await write(batch);
      batch = '';
    }
  }
  await write(batch);
  out.end();
  await once(out, 'close');
}

/**
 * Benchmark and bulk-seeding fast path: writes a bucket and an index snapshot straight into a data
 * directory that no server is running on. The records' bodies are not written: use it to measure
 * listing and index loading, not reads.
 */
export async function seedBucketIndex(
  root: string,
  config: BucketConfig,
  records: Iterable<ObjectRecord>,
): Promise<void> {
  const dir = join(root, 'buckets', config.name);
  await mkdir(join(dir, 'index'), { recursive: true });
  await writeFileAtomic(join(dir, 'bucket.json'), JSON.stringify(config));
  await writeSnapshotFile(join(dir, 'index', 'snapshot.jsonl'), 1, records);
  await writeFile(join(root, 'clean-shutdown'), 'seeded\n');
}
