/**
 * The reading half of a pruning run: lists the owned prefixes in parallel, split by sub-prefix with a
 * bounded number of requests in flight, then reads every `_metadata` the planner needs
 * (docs/state-pruner.md §5).
 */
import type { ObjectStore, ObjectSummary } from '../storage/port';
import type { ListedObject } from './discovery';
import { type MetadataReadResult, readMetadata } from './metadata';

export interface CollectStats {
  listRequests: number;
  metadataReads: number;
  metadataBytes: number;
}

/** Storage classes whose objects cannot be read without a restore. */
const COLD_CLASSES = new Set(['Archive', 'ColdArchive', 'DeepColdArchive']);
/** A `_metadata` larger than this is not read into memory (Flink's inline threshold caps real ones far below). */
export const MAX_METADATA_BYTES = 256 * 1024 * 1024;

/** Runs `work` over `items` with at most `limit` at once; keeps input order in the result. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const lane = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await work(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  return out;
}

/**
 * Lists everything under `prefixes` into `into`, page by page, holding no page longer than it takes to
 * copy it. A prefix larger than one page is split with a delimiter, down to `splitDepth` levels, so that
 * namespaces and deployments are listed side by side; the leaves are listed flat.
 */
export async function listPrefixes(
  store: ObjectStore,
  prefixes: readonly string[],
  into: { add(o: ListedObject): void },
  options: { concurrency: number; splitDepth?: number; stats?: CollectStats; onPage?: (objects: number) => void },
): Promise<void> {
  const stats = options.stats;
  const take = (o: ObjectSummary) => {
    const storageClass = o.storageClass;
    into.add({
      key: o.key,
      size: o.size,
      lastModified: o.lastModified.getTime(),
      ...(storageClass && storageClass !== 'Standard' ? { storageClass } : {}),
    });
  };
  // Each prefix is first listed flat. One that fits in a page (the areas of most workspaces) is then
  // done in one round trip instead of one per split level; a larger one is listed split, as below, and
  // the two pages read to find that out are dropped: two requests in a listing of thousands.
  const large = await mapLimit([...new Set(prefixes)], options.concurrency, async (prefix) => {
    const pages = store.list({ prefix })[Symbol.asyncIterator]();
    const first = await pages.next();
    if (stats) stats.listRequests++;
    // Asking for the next page costs a request only when there is one.
    const more = !first.done && !(await pages.next()).done;
    if (more) {
      if (stats) stats.listRequests++;
      await pages.return?.();
      return prefix;
    }
    if (!first.done) {
      for (const o of first.value.objects) take(o);
      options.onPage?.(first.value.objects.length);
    }
    return undefined;
  });
  let level = large.filter((p): p is string => p !== undefined);
  for (let depth = options.splitDepth ?? 3; depth > 0 && level.length > 0; depth--) {
    const found = await mapLimit(level, options.concurrency, async (prefix) => {
      const subs: string[] = [];
      for await (const page of store.list({ prefix, delimiter: '/' })) {
        if (stats) stats.listRequests++;
        for (const o of page.objects) take(o);
        subs.push(...page.prefixes);
        options.onPage?.(page.objects.length);
      }
      return subs;
    });
    level = found.flat();
  }
  await mapLimit(level, options.concurrency, async (prefix) => {
    for await (const page of store.list({ prefix })) {
      if (stats) stats.listRequests++;
      for (const o of page.objects) take(o);
      options.onPage?.(page.objects.length);
    }
  });
}

/**
 * Reads and parses each `_metadata`. Objects in Archive classes are not read (that would need a restore,
 * which the pruner never starts); they, and every read that fails, are unreadable results.
 */
export async function readAllMetadata(
  store: ObjectStore,
  objects: readonly ListedObject[],
  options: { concurrency: number; stats?: CollectStats },
): Promise<Map<string, MetadataReadResult>> {
  const out = new Map<string, MetadataReadResult>();
  await mapLimit(objects, options.concurrency, async (o) => {
    out.set(o.key, await readOne(store, o, options.stats));
  });
  return out;
}

async function readOne(store: ObjectStore, o: ListedObject, stats?: CollectStats): Promise<MetadataReadResult> {
  if (o.storageClass && COLD_CLASSES.has(o.storageClass))
    return {
      readable: false,
      code: 'METADATA_ARCHIVED',
      message: `stored as ${o.storageClass}; it cannot be read without a restore, which the pruner never starts`,
    };
  if (o.size > MAX_METADATA_BYTES)
    return { readable: false, code: 'METADATA_TOO_LARGE', message: `${o.size} bytes is more than a _metadata holds` };
  try {
    const body = await store.getBuffer(o.key);
    if (stats) {
      stats.metadataReads++;
      stats.metadataBytes += body?.length ?? 0;
    }
    if (body === undefined) return { readable: false, code: 'METADATA_GONE', message: 'deleted since it was listed' };
    return readMetadata(body);
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    const restore =
      code === 'OSS_OBJECT_NOT_RESTORED' ||
      (error as { details?: { ossCode?: string } }).details?.ossCode === 'InvalidObjectState';
    return {
      readable: false,
      code: restore ? 'METADATA_ARCHIVED' : 'METADATA_READ_FAILED',
      message: error instanceof Error ? error.message : String(error),
    };
  }
}
