/**
 * Reading shipped logs and the audit trail back (docs/log-shipper.md §7): the hour partitions a time range
 * touches are listed, their objects read and filtered. What `npm run logs` uses.
 */
import { gunzipSync } from 'node:zlib';
import { isoTime } from '../iso-time';
import type { ObjectStore } from '../storage/port';
import { type LogKeys, OBJECT_SUFFIX } from './keys';

export interface LogQuery {
  /** Shipped logs of this namespace (and deployment), or … */
  namespace?: string;
  deployment?: string;
  /** … the audit trail of this function (`*` for every function's). */
  audit?: string;
  /** Inclusive start and exclusive end, ms since the epoch. */
  sinceMs: number;
  untilMs: number;
  /** Kept when the record's JSON line matches. */
  grep?: RegExp;
  /** Kept when the record's level is one of these. */
  levels?: readonly string[];
}

export interface ReadRecord {
  ts: string;
  /** The stored NDJSON line. */
  line: string;
  value: Record<string, unknown>;
  key: string;
}

const HOUR = 3_600_000;

/** The objects whose hour partition overlaps the query's range, oldest partition first. */
export async function* matchingObjects(
  store: ObjectStore,
  keys: LogKeys,
  q: LogQuery,
): AsyncGenerator<{ key: string; lastModified: Date; size: number }> {
  const roots: string[] = [];
  if (q.audit !== undefined) {
    if (q.audit === '*') for await (const p of prefixes(store, keys.auditPrefix())) roots.push(p);
    else roots.push(keys.auditPrefix(q.audit));
  } else if (q.namespace !== undefined) {
    if (q.deployment !== undefined) roots.push(keys.shippedPrefix(q.namespace, q.deployment));
    else for await (const p of prefixes(store, keys.shippedPrefix(q.namespace))) roots.push(p);
  } else {
    throw new Error('a query names a namespace or an audit trail');
  }
  const fromDate = isoTime(q.sinceMs).slice(0, 10);
  const found: Array<{ key: string; lastModified: Date; size: number; hour: number }> = [];
  for (const root of roots) {
    // Partitions sort by date then hour, so listing starts at the range's first day.
    listing: for await (const page of store.list({ prefix: root, startAfter: `${root}date=${fromDate}` })) {
      for (const o of page.objects) {
        if (!o.key.endsWith(OBJECT_SUFFIX)) continue;
        const m = /\/date=(\d{4}-\d{2}-\d{2})\/hour=(\d{2})\//.exec(o.key);
        if (!m) continue;
        const hour = Date.parse(`${m[1]}T${m[2]}:00:00Z`);
        if (hour >= q.untilMs) break listing;
        if (hour + HOUR <= q.sinceMs) continue;
        found.push({ key: o.key, lastModified: o.lastModified, size: o.size, hour });
      }
    }
  }
  // A compaction interrupted after writing a merged object leaves its sources until the next run: read
  // the merged object only, so no record shows twice.
  const merged =
    q.audit === undefined ? await finishedMergeSources(store, keys, new Set(found.map((o) => o.key))) : new Set();
  found.sort((a, b) => a.hour - b.hour || a.lastModified.getTime() - b.lastModified.getTime());
  for (const { hour: _hour, ...o } of found) if (!merged.has(o.key)) yield o;
}

/** The records of one object that match the query. */
export async function readObject(store: ObjectStore, key: string, q: LogQuery): Promise<ReadRecord[]> {
  const body = await store.getBuffer(key);
  if (!body) return []; // compacted away since it was listed; its records are in the merged object
  const out: ReadRecord[] = [];
  for (const line of gunzipSync(body).toString('utf8').split('\n')) {
    if (line === '') continue;
    if (q.grep && !q.grep.test(line)) continue;
    let value: Record<string, unknown>;
    try {
      value = JSON.parse(line) as Record<string, unknown>;
    } catch {
      continue;
    }
    const ts = typeof value.ts === 'string' ? value.ts : '';
    const ms = Date.parse(ts);
    if (!(ms >= q.sinceMs && ms < q.untilMs)) continue;
    if (q.levels && !q.levels.includes(String(value.level ?? ''))) continue;
    out.push({ ts, line, value, key });
  }
  return out;
}

/** Every matching record, ordered by time. */
export async function queryLogs(store: ObjectStore, keys: LogKeys, q: LogQuery, limit = Number.POSITIVE_INFINITY) {
  const records: ReadRecord[] = [];
  for await (const o of matchingObjects(store, keys, q)) records.push(...(await readObject(store, o.key, q)));
  records.sort((a, b) => (a.ts < b.ts ? -1 : a.ts > b.ts ? 1 : 0));
  return records.length > limit ? records.slice(records.length - limit) : records;
}

/** One line for a terminal: time, level, where, message. */
export function formatRecord(r: ReadRecord): string {
  const v = r.value as { level?: unknown; message?: unknown; labels?: Record<string, string>; event?: unknown };
  const level = String(v.level ?? '-')
    .toUpperCase()
    .padEnd(5);
  if (v.event !== undefined) {
    const { ts: _ts, event, function: fn, ...rest } = r.value;
    return `${r.ts} ${String(fn)} ${String(event)} ${JSON.stringify(rest)}`;
  }
  const l = v.labels ?? {};
  const where = [l.namespace, l.deployment, l.job].filter(Boolean).join('/') + (l.source ? ` ${l.source}` : '');
  return `${r.ts} ${level} ${where} ${typeof v.message === 'string' ? v.message : JSON.stringify(v.message ?? null)}`;
}

/** Sources of interrupted merges whose merged object is among `listed`. */
async function finishedMergeSources(store: ObjectStore, keys: LogKeys, listed: Set<string>): Promise<Set<string>> {
  const sources = new Set<string>();
  for await (const page of store.list({ prefix: keys.compactionPrefix() })) {
    for (const o of page.objects) {
      const body = await store.getBuffer(o.key);
      try {
        const intent = JSON.parse(body?.toString('utf8') ?? '') as { target?: unknown; sources?: unknown };
        if (typeof intent.target === 'string' && listed.has(intent.target) && Array.isArray(intent.sources))
          for (const s of intent.sources) if (typeof s === 'string') sources.add(s);
      } catch {
        // An unreadable intent changes nothing here; compaction reports it.
      }
    }
  }
  return sources;
}

async function* prefixes(store: ObjectStore, prefix: string): AsyncGenerator<string> {
  for await (const page of store.list({ prefix, delimiter: '/' })) yield* page.prefixes;
}
