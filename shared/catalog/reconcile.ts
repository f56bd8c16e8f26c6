import { isoTime } from '../iso-time';
import type { ArtifactArea, BucketLayout } from '../layout/bucket-layout';
import type { Logger } from '../log/logger';
import type { ObjectStore } from '../storage/port';
import type { ArtifactCatalog } from './service';

/** Where a reconcile pass stopped; stored at `catalog/_state/reconcile.json` between runs. */
export interface ReconcileCursor {
  /** `artifacts`: cataloguing what lacks a current record; `records`: removing records of deleted artifacts. */
  phase: 'artifacts' | 'records';
  /** Last key handled in this phase; the next run lists after it. */
  startAfter?: string;
  startedAt: string;
  runs: number;
  counts: ReconcileCounts;
}

export interface ReconcileCounts {
  seen: number;
  catalogued: number;
  removed: number;
}

/** The outcome of one run. */
export interface ReconcileReport {
  /** The pass finished; the next run starts a new one. */
  complete: boolean;
  cursor?: ReconcileCursor;
  counts: ReconcileCounts;
  /** Counts of this run only. */
  run: ReconcileCounts;
}

const AREAS: readonly ArtifactArea[] = ['artifacts', 'sql-artifacts'];

/**
 * Brings the catalog in line with the bucket: catalogs every artifact without a record for its current
 * ETag, then removes records whose artifact is gone. Stops before `deadline` (keeping `reserveMs` for the
 * writes in flight), saving a cursor so the next run continues where this one stopped.
 */
export async function reconcileCatalog(deps: {
  store: ObjectStore;
  layout: BucketLayout;
  catalog: ArtifactCatalog;
  logger: Logger;
  deadline: number;
  /** Stop starting new artifacts when less than this is left; default 20 % of what was left at start. */
  reserveMs?: number;
  /** Start a new pass even when a cursor exists. */
  restart?: boolean;
  now?: () => Date;
}): Promise<ReconcileReport> {
  const { store, layout, catalog, logger, deadline } = deps;
  const now = deps.now ?? (() => new Date());
  const stateKey = layout.catalogStateKey('reconcile');
  const reserve = deps.reserveMs ?? Math.max(1000, (deadline - Date.now()) * 0.2);
  const saved = deps.restart ? undefined : await readCursor(store, stateKey);
  const cursor: ReconcileCursor = saved ?? {
    phase: 'artifacts',
    startedAt: isoTime(now()),
    runs: 0,
    counts: { seen: 0, catalogued: 0, removed: 0 },
  };
  cursor.runs++;
  const run: ReconcileCounts = { seen: 0, catalogued: 0, removed: 0 };
  let first = true;
  const stop = async (): Promise<ReconcileReport> => {
    await store.put(stateKey, JSON.stringify(cursor, null, 2), { contentType: 'application/json' });
    logger.info('reconcile paused; the next run continues', { ...cursor, run });
    return { complete: false, cursor, counts: cursor.counts, run };
  };

  try {
    if (cursor.phase === 'artifacts') {
      for (const area of AREAS) {
        const prefix = layout.areaPrefix(area);
        const after = cursor.startAfter;
        if (after !== undefined && after > prefix && !after.startsWith(prefix)) continue;
        for await (const page of store.list({ prefix, ...(after?.startsWith(prefix) ? { startAfter: after } : {}) })) {
          for (const object of page.objects) {
            if (Date.now() > deadline - reserve) return await stop();
            run.seen++;
            cursor.counts.seen++;
            if (layout.parseArtifactKey(object.key) && !(await catalog.isCatalogued(object.key, object.etag))) {
              // The first artifact of a run has the whole budget: a timeout verdict then is deserved.
              const outcome = await catalog.catalog(object.key, {
                deadline: deadline - reserve / 2,
                sizeHint: object.size,
                deferOnTimeout: !first,
              });
              if (outcome.result === 'deferred') return await stop();
              if (outcome.result === 'catalogued') {
                run.catalogued++;
                cursor.counts.catalogued++;
              }
              first = false;
            }
            cursor.startAfter = object.key;
          }
        }
      }
      cursor.phase = 'records';
      delete cursor.startAfter;
    }

    for (const area of AREAS) {
      const prefix = `${layout.areaPrefix('catalog')}${area}/`;
      const after = cursor.startAfter;
      if (after !== undefined && after > prefix && !after.startsWith(prefix)) continue;
      for await (const page of store.list({ prefix, ...(after?.startsWith(prefix) ? { startAfter: after } : {}) })) {
        for (const object of page.objects) {
          if (Date.now() > deadline - reserve) return await stop();
          const artifactKey = layout.artifactKeyForCatalogKey(object.key);
          if (artifactKey && (await catalog.remove(artifactKey)) === 'removed') {
            run.removed++;
            cursor.counts.removed++;
          }
          cursor.startAfter = object.key;
        }
      }
    }
  } catch (error) {
    // Keep the progress made, then fail the run so it is retried.
    await store
      .put(stateKey, JSON.stringify(cursor, null, 2), { contentType: 'application/json' })
      .catch(() => undefined);
    throw error;
  }

  await store.delete(stateKey);
  logger.info('reconcile complete', { counts: cursor.counts, runs: cursor.runs, startedAt: cursor.startedAt });
  return { complete: true, counts: cursor.counts, run };
}

async function readCursor(store: ObjectStore, key: string): Promise<ReconcileCursor | undefined> {
  const bytes = await store.getBuffer(key);
  if (!bytes) return undefined;
  try {
    const value = JSON.parse(bytes.toString('utf8')) as ReconcileCursor;
    if ((value.phase === 'artifacts' || value.phase === 'records') && typeof value.counts === 'object') return value;
  } catch {
    // An unreadable cursor only costs a fresh pass.
  }
  return undefined;
}
