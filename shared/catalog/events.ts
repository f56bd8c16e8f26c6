import type { FcOssEvent } from '../fc/events';
import { InvalidEventError, parseOssEvent, parseTimerEvent, type RawEvent } from '../fc/parse';
import type { Invocation } from '../fc/runtime';
import type { BucketLayout } from '../layout/bucket-layout';
import type { Logger } from '../log/logger';
import type { ObjectStore } from '../storage/port';
import { type ReconcileReport, reconcileCatalog } from './reconcile';
import type { ArtifactCatalog, CatalogOutcome, RemoveOutcome } from './service';

/** What the function is asked to do: react to OSS events, or reconcile (timer or `npm run invoke`). */
export type CatalogEvent = { kind: 'oss'; event: FcOssEvent } | { kind: 'reconcile'; restart: boolean };

/**
 * Tells the three events apart: an OSS trigger event (`events`), a timer event (`triggerName`; its payload
 * may be `{"restart":true}`), or a hand-written `{"reconcile":true[,"restart":true]}`. Anything else is
 * an `InvalidEventError`.
 */
export function parseCatalogEvent(raw: RawEvent): CatalogEvent {
  const text = typeof raw === 'string' ? raw : Buffer.from(raw).toString('utf8');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new InvalidEventError('artifact-catalog', ['not JSON']);
  }
  const obj = (typeof value === 'object' && value !== null ? value : {}) as Record<string, unknown>;
  if ('events' in obj) return { kind: 'oss', event: parseOssEvent(raw) };
  if ('triggerName' in obj) {
    const timer = parseTimerEvent(raw);
    let restart = false;
    try {
      restart = (JSON.parse(timer.payload || '{}') as { restart?: unknown }).restart === true;
    } catch {
      // A payload that is not JSON just means "reconcile".
    }
    return { kind: 'reconcile', restart };
  }
  if (obj['reconcile'] === true) return { kind: 'reconcile', restart: obj['restart'] === true };
  throw new InvalidEventError('artifact-catalog', [
    'expected an OSS trigger event ({"events":[…]}), a timer event, or {"reconcile":true}',
  ]);
}

export interface CatalogEventDeps {
  catalog: ArtifactCatalog;
  store: ObjectStore;
  layout: BucketLayout;
  bucket: string;
  /** Writes the invocation's audit events so far (the handler still flushes whatever comes after). */
  flushAudit?: () => Promise<unknown>;
}

/** One OSS record's outcome, as the invocation returns it (and the local stack shows it). */
export interface RecordOutcome {
  eventName: string;
  key: string;
  result: CatalogOutcome['result'] | RemoveOutcome | 'failed';
}

/**
 * Handles one invocation. Every record of an OSS event is handled even when one fails; then the first
 * failure is rethrown so FC retries the invocation (the records already done are no-ops the second time).
 * The time left is shared: each artifact may use it all but `reserveMs`, kept for the writes.
 */
export async function handleCatalogEvent(
  event: CatalogEvent,
  deps: CatalogEventDeps,
  invocation: Pick<Invocation, 'deadline' | 'logger'>,
): Promise<{ records: RecordOutcome[] } | ReconcileReport> {
  const logger: Logger = invocation.logger;
  const total = invocation.deadline - Date.now();
  const reserveMs = Number.isFinite(total) ? Math.min(10_000, Math.max(500, total * 0.15)) : 10_000;
  const deadline = Number.isFinite(invocation.deadline) ? invocation.deadline - reserveMs : Date.now() + 3_600_000;

  if (event.kind === 'reconcile')
    return reconcileCatalog({
      store: deps.store,
      layout: deps.layout,
      catalog: deps.catalog,
      logger,
      deadline,
      restart: event.restart,
    });

  const records: RecordOutcome[] = [];
  let failure: unknown;
  const events = event.event.events;
  for (const [index, record] of events.entries()) {
    const key = record.oss.object.key;
    const eventName = record.eventName;
    try {
      if (record.oss.bucket.name !== deps.bucket) {
        logger.warn('event for another bucket ignored', { bucket: record.oss.bucket.name, key });
        records.push({ eventName, key, result: 'ignored' });
      } else if (eventName.startsWith('ObjectCreated:')) {
        // The last artifact of the invocation flushes the audit trail while its record is written.
        const alongsideRecord = index === events.length - 1 ? deps.flushAudit : undefined;
        const outcome = await deps.catalog.catalog(key, {
          deadline,
          sizeHint: record.oss.object.size,
          ...(alongsideRecord && { alongsideRecord }),
        });
        records.push({ eventName, key, result: outcome.result });
      } else if (eventName.startsWith('ObjectRemoved:')) {
        records.push({ eventName, key, result: await deps.catalog.remove(key) });
      } else {
        records.push({ eventName, key, result: 'ignored' });
      }
    } catch (error) {
      failure ??= error;
      records.push({ eventName, key, result: 'failed' });
      logger.error('catalog event failed; the invocation will be retried', {
        key,
        eventName,
        error: error instanceof Error ? error.message : String(error),
      });
    }
  }
  if (failure !== undefined) throw failure;
  return { records };
}
