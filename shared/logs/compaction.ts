/**
 * Compaction on a timer: the small objects of closed hour partitions merged into larger ones
 * (docs/log-shipper.md §4). Crash-safe by order of writes, each step idempotent:
 *
 *   1. the intent `_compaction/…/<merged>.json` names the merged object and its sources (forbid-overwrite);
 *   2. the merged object is written (forbid-overwrite; its name derives from its sources);
 *   3. the sources are deleted;
 *   4. the intent is deleted.
 *
 * Every run first finishes the intents a crashed run left: if the merged object exists, its sources are
 * in it and go; if not, no source was deleted yet and the merge is redone. So a run killed at any step,
 * then run again, neither loses nor duplicates a record.
 */
import { createGzip, gunzipSync } from 'node:zlib';
import { isoTime } from '../iso-time';
import { StorageError } from '../storage/errors';
import type { Encryption, ObjectStore } from '../storage/port';
import { type CompactionPolicy, isClosed, type Merge, planPartition, type StoredObject } from './compaction-plan';
import { COMPACTION_DIR, type LogKeys, OBJECT_SUFFIX, type Partition } from './keys';

/** Level of merged objects: written once, read many times, so smaller beats faster here. */
export const COMPACTION_GZIP_LEVEL = 6;

export interface CompactionOptions extends CompactionPolicy {
  store: ObjectStore;
  keys: LogKeys;
  /** Partitions whose hour started within this window are considered. */
  lookbackMs: number;
  now?: () => number;
  /** Milliseconds left before the invocation must stop; no new merge starts below `minRemainingMs`. */
  remainingMs?: () => number;
  minRemainingMs?: number;
  encryption?: Encryption | undefined;
  /** Progress, one line per partition compacted. */
  progress?: (line: string, fields?: Record<string, unknown>) => void;
}

export interface CompactionReport {
  partitionsSeen: number;
  partitionsCompacted: number;
  merges: number;
  objectsMerged: number;
  bytesIn: number;
  bytesOut: number;
  /** Intents of an earlier, interrupted run that were finished. */
  recovered: number;
  /** Merges that could not be done safely and were left for a later run, with why. */
  skipped: Array<{ target: string; reason: string }>;
  /** True when the run stopped early because the invocation's time was running out. */
  stoppedEarly: boolean;
}

interface Intent {
  version: 1;
  target: string;
  sources: string[];
}

/** Runs one compaction pass: finish interrupted merges, then merge the small objects of closed partitions. */
export async function compactLogs(o: CompactionOptions): Promise<CompactionReport> {
  const now = (o.now ?? Date.now)();
  const report: CompactionReport = {
    partitionsSeen: 0,
    partitionsCompacted: 0,
    merges: 0,
    objectsMerged: 0,
    bytesIn: 0,
    bytesOut: 0,
    recovered: 0,
    skipped: [],
    stoppedEarly: false,
  };
  const timeLeft = () => (o.remainingMs ? o.remainingMs() >= (o.minRemainingMs ?? 30_000) : true);

  for await (const key of listKeys(o.store, o.keys.compactionPrefix())) {
    if (!key.endsWith('.json')) continue;
    if (!timeLeft()) return { ...report, stoppedEarly: true };
    const intent = await readIntent(o.store, key);
    if (!intent) {
      report.skipped.push({ target: key, reason: 'unreadable intent; left in place' });
      continue;
    }
    const parsed = o.keys.parseObjectKey(intent.target);
    if (!parsed) {
      report.skipped.push({ target: intent.target, reason: 'intent names a key outside shipped logs; left in place' });
      continue;
    }
    const merge: Merge = { partition: parsed.partition, target: intent.target, sources: intent.sources, bytes: 0 };
    if (await runMerge(o, merge, report, true)) report.recovered++;
  }

  for await (const [partition, objects] of closedPartitions(o, now)) {
    report.partitionsSeen++;
    const merges = planPartition(o.keys, partition, objects, o);
    if (merges.length === 0) continue;
    let done = 0;
    for (const merge of merges) {
      if (!timeLeft()) return { ...report, stoppedEarly: true };
      if (await runMerge(o, merge, report, false)) done++;
    }
    if (done > 0) report.partitionsCompacted++;
    o.progress?.(`compacted ${o.keys.partitionPrefix(partition)}`, {
      merges: done,
      objects: objects.length,
      after: objects.length - merges.reduce((n, m) => n + m.sources.length - 1, 0),
    });
  }
  return report;
}

/** Steps 1–4 for one merge; returns false (with the reason in the report) when it must wait. */
async function runMerge(
  o: CompactionOptions,
  merge: Merge,
  report: CompactionReport,
  recovering: boolean,
): Promise<boolean> {
  const intentKey = o.keys.intentKey(merge.target);
  if (!recovering) {
    const intent: Intent = { version: 1, target: merge.target, sources: merge.sources };
    await putOnce(o.store, intentKey, Buffer.from(JSON.stringify(intent)), 'application/json', o.encryption);
  }
  if (!(await o.store.head(merge.target))) {
    const chunks: Buffer[] = [];
    const gzip = createGzip({ level: COMPACTION_GZIP_LEVEL });
    gzip.on('data', (c: Buffer) => chunks.push(c));
    const finished = new Promise<void>((resolve, reject) => {
      gzip.on('end', resolve);
      gzip.on('error', reject);
    });
    let bytesIn = 0;
    let records = 0;
    for (const source of merge.sources) {
      const body = await o.store.getBuffer(source);
      if (!body) {
        gzip.destroy();
        // Nothing was deleted yet (the merged object does not exist), so nothing is lost by waiting.
        report.skipped.push({
          target: merge.target,
          reason: `source ${source} is missing; merge left for a later run`,
        });
        return false;
      }
      bytesIn += body.byteLength;
      const text = gunzipSync(body);
      records += countLines(text);
      const ends = text.byteLength === 0 || text[text.byteLength - 1] === 0x0a;
      if (!gzip.write(text)) await new Promise((r) => gzip.once('drain', r));
      if (!ends) gzip.write('\n');
    }
    gzip.end();
    await finished;
    const merged = Buffer.concat(chunks);
    await putOnce(o.store, merge.target, merged, 'application/gzip', o.encryption, {
      records: String(records),
      sources: String(merge.sources.length),
    });
    report.bytesIn += bytesIn;
    report.bytesOut += merged.byteLength;
    report.merges++;
    report.objectsMerged += merge.sources.length;
  }
  const deleted = await o.store.deleteMany(merge.sources);
  if (deleted.failed.length > 0) {
    report.skipped.push({
      target: merge.target,
      reason: `${deleted.failed.length} source(s) not deleted (${deleted.failed[0]!.code}); finished by a later run`,
    });
    return false;
  }
  await o.store.delete(intentKey);
  return true;
}

/** A forbid-overwrite write for which "already there" is success: the name fixes the content. */
async function putOnce(
  store: ObjectStore,
  key: string,
  body: Buffer,
  contentType: string,
  encryption: Encryption | undefined,
  meta?: Record<string, string>,
): Promise<void> {
  try {
    await store.put(key, body, {
      contentType,
      forbidOverwrite: true,
      ...(meta && { meta }),
      ...(encryption && { encryption }),
    });
  } catch (error) {
    if (!(error instanceof StorageError) || error.code !== 'OSS_ALREADY_EXISTS') throw error;
  }
}

async function readIntent(store: ObjectStore, key: string): Promise<Intent | undefined> {
  const body = await store.getBuffer(key);
  if (!body) return undefined;
  try {
    const value = JSON.parse(body.toString('utf8')) as Partial<Intent>;
    if (
      value.version !== 1 ||
      typeof value.target !== 'string' ||
      !Array.isArray(value.sources) ||
      !value.sources.every((s) => typeof s === 'string')
    )
      return undefined;
    return value as Intent;
  } catch {
    return undefined;
  }
}

/**
 * Closed partitions with their objects, deployment by deployment, from the oldest date in the lookback
 * window on: one listing per deployment, started after the window's first date, so old history is not read.
 */
async function* closedPartitions(o: CompactionOptions, now: number): AsyncGenerator<[Partition, StoredObject[]]> {
  const from = isoTime(now - o.lookbackMs).slice(0, 10);
  for await (const nsPrefix of listPrefixes(o.store, o.keys.shippedPrefix())) {
    if (nsPrefix.endsWith(`/${COMPACTION_DIR}/`)) continue;
    for await (const depPrefix of listPrefixes(o.store, nsPrefix)) {
      let current: { prefix: string; partition: Partition; objects: StoredObject[] } | undefined;
      for await (const page of o.store.list({ prefix: depPrefix, startAfter: `${depPrefix}date=${from}` })) {
        for (const object of page.objects) {
          if (!object.key.endsWith(OBJECT_SUFFIX)) continue;
          const parsed = o.keys.parseObjectKey(object.key);
          if (!parsed) continue;
          const prefix = object.key.slice(0, object.key.lastIndexOf('/') + 1);
          if (current?.prefix !== prefix) {
            if (current && isClosed(current.partition, now, o.settleMs)) yield [current.partition, current.objects];
            current = { prefix, partition: parsed.partition, objects: [] };
          }
          current.objects.push({ key: object.key, size: object.size });
        }
      }
      if (current && isClosed(current.partition, now, o.settleMs)) yield [current.partition, current.objects];
    }
  }
}

async function* listPrefixes(store: ObjectStore, prefix: string): AsyncGenerator<string> {
  for await (const page of store.list({ prefix, delimiter: '/' })) yield* page.prefixes;
}

async function* listKeys(store: ObjectStore, prefix: string): AsyncGenerator<string> {
  for await (const page of store.list({ prefix })) for (const object of page.objects) yield object.key;
}

function countLines(text: Buffer): number {
  let n = 0;
  for (let i = text.indexOf(0x0a); i !== -1; i = text.indexOf(0x0a, i + 1)) n++;
  if (text.byteLength > 0 && text[text.byteLength - 1] !== 0x0a) n++;
  return n;
}
