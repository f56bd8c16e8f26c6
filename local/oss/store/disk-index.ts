import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { mkdir, open, readdir, rename, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fsyncDir, WRITE_BUFFER, writeFileAtomic } from './disk-files';
import { JournalFile, readJsonLines } from './journal';
import type { BucketConfig, IndexEntry, LiveRecords, ObjectRecord } from './types';
import { IndexFold } from './versions';

/** A journal is folded into a new snapshot once it has more lines than this and than live objects. */
export const COMPACT_MIN_LINES = 50_000;

interface BucketJournal {
  active: JournalFile;
  gen: number;
  /** Lines to replay at the next start (every journal kept). */
  sinceSnapshot: number;
  compacting: boolean;
}

/**
 * Each bucket's object index on disk (`buckets/<bucket>/index/`): a snapshot of the records plus
 * journals of changes since, folded into a new snapshot in the background when they grow long.
 */
export class DiskIndexLog {
  private journals = new Map<string, BucketJournal>();

  constructor(
    private readonly root: string,
    private readonly log: (line: string) => void,
    private readonly compactMinLines: number,
    /** Registers background work that `close()` of the backend waits for. */
    private readonly background: (task: Promise<unknown>) => void,
  ) {}

  private dir(bucket: string): string {
    return join(this.root, 'buckets', bucket, 'index');
  }

  /** Reads a bucket's snapshot and the journals after it, and opens a fresh journal for its writes. */
  async load(bucket: string): Promise<IndexFold> {
    const dir = this.dir(bucket);
    await mkdir(dir, { recursive: true });
    const index = new IndexFold();
    let from = 0;
    let first = true;
    try {
      await readJsonLines(join(dir, 'snapshot.jsonl'), (value) => {
        if (first) {
          first = false;
          from = (value as { from?: number }).from ?? 0;
          return;
        }
        index.apply({ put: value as ObjectRecord });
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
        (value) => index.apply(value as IndexEntry),
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
    return index;
  }

  /** Appends index changes durably; starts a compaction when the journals have grown long. */
  async append(bucket: string, entries: IndexEntry[], live: LiveRecords): Promise<void> {
    let journal = this.journals.get(bucket);
    if (!journal) {
      const dir = this.dir(bucket);
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
      this.background(
        this.compact(bucket, journal, () => live.records()).catch((error: unknown) =>
          this.log(`compaction of ${bucket} failed: ${String(error)}`),
        ),
      );
    }
  }

  /**
   * Folds the journals into a new snapshot. The snapshot is taken right after switching to a new journal;
   * entries of the old journal that were still in flight may be missing from it, so the snapshot says to
   * replay from the old journal on. Replaying whole journals over a snapshot is idempotent.
   */
  private async compact(bucket: string, journal: BucketJournal, live: () => Iterable<ObjectRecord>): Promise<void> {
    const dir = this.dir(bucket);
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

  /** Closes a bucket's journal (the bucket is being deleted). */
  async forget(bucket: string): Promise<void> {
    const journal = this.journals.get(bucket);
    this.journals.delete(bucket);
    if (journal) await journal.active.close();
  }

  /** Closes every journal after its queued lines are written. */
  async close(): Promise<void> {
    for (const journal of this.journals.values()) await journal.active.close();
    this.journals.clear();
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
