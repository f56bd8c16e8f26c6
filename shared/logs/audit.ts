/**
 * The pack's own audit trail: structured events of what a function did (a URL signed, a catalog verdict,
 * a deletion), kept in the bucket beside the logs they explain (docs/log-shipper.md §6).
 *
 * Usage, once per invocation:
 *
 * ```ts
 * const trail = new AuditTrail({ fn: 'state-pruner', keys: new LogKeys(config.oss.rootDirectory),
 *   put: (key, body, options) => store.put(key, body, options), logger });
 * trail.record('checkpoint.deleted', { namespace, deployment, key, reason: 'older than the newest 3' });
 * …
 * await trail.flush(context.requestId);   // before the invocation returns
 * ```
 *
 * - `record(event, fields)` keeps the event in memory; it never throws and never does I/O. Fields pass
 *   through `redact` (shared/log): secrets, tokens, signatures and signed URLs never reach the bucket.
 *   Send keys, ids, verdicts and reasons; never URLs or credentials.
 * - `flush(requestId)` writes everything recorded since the last flush as ONE gzip NDJSON object under
 *   `logs/_audit/function=<fn>/date=YYYY-MM-DD/hour=HH/`, so an invocation costs one PUT, not one per
 *   event. With nothing recorded it does nothing. If the write fails the events go to the function log
 *   (stdout, which FC ships to SLS) instead, and `flush` resolves: auditing never fails the work it describes.
 *
 * Each line: `{"ts","function","requestId","event",…fields}`. `npm run logs -- query --audit <fn>` reads them.
 */
import { randomBytes } from 'node:crypto';
import type { Config } from '../config';
import { describeError } from '../errors';
import { compactIsoTime } from '../iso-time';
import type { Logger } from '../log/logger';
import { redact } from '../log/redact';
import type { ObjectStore, PutOptions } from '../storage/port';
import { gzipStored } from './gzip-stored';
import { LogKeys } from './keys';
import { formatMicros } from './normalize';

/** The one store operation the trail needs; `ObjectStore.put` fits, and so does a lean signed PUT. */
export type PutObject = (key: string, body: Buffer, options: PutOptions) => Promise<unknown>;

export interface AuditTrailOptions {
  /** The function writing, e.g. `presign-api`; its events go to `logs/_audit/function=<fn>/`. */
  fn: string;
  keys: LogKeys;
  put: PutObject;
  /** Where events go when the bucket write fails. */
  logger?: Logger;
  now?: () => Date;
  encryption?: PutOptions['encryption'];
}

export interface AuditEvent {
  ts: string;
  event: string;
  [field: string]: unknown;
}

/** Batches audit events per invocation and writes them to the bucket in one object. */
export class AuditTrail {
  private pending: AuditEvent[] = [];

  constructor(private readonly o: AuditTrailOptions) {}

  /** Keeps one event for the next `flush`; secrets in `fields` are redacted now. */
  record(event: string, fields: Record<string, unknown> = {}): void {
    const safe = redact(fields) as Record<string, unknown>;
    this.pending.push({ ts: formatMicros((this.o.now?.() ?? new Date()).getTime() * 1000), event, ...safe });
  }

  /** Events recorded and not yet flushed. */
  get size(): number {
    return this.pending.length;
  }

  /** Writes the pending events as one object; resolves with its key, or `undefined` when there was none. */
  async flush(requestId?: string): Promise<string | undefined> {
    if (this.pending.length === 0) return undefined;
    const events = this.pending;
    this.pending = [];
    const at = this.o.now?.() ?? new Date();
    const lines = events.map(({ ts, event, ...fields }) =>
      JSON.stringify({ ts, function: this.o.fn, ...(requestId && { requestId }), event, ...fields }),
    );
    const stamp = compactIsoTime(at);
    const key = this.o.keys.auditKey(this.o.fn, at, `${stamp}-${randomBytes(6).toString('hex')}`);
    try {
      await this.o.put(key, await gzip(Buffer.from(`${lines.join('\n')}\n`)), {
        contentType: 'application/gzip',
        forbidOverwrite: true,
        meta: { records: String(events.length) },
        ...(this.o.encryption && { encryption: this.o.encryption }),
      });
      return key;
    } catch (error) {
      this.o.logger?.error('audit trail not written to the bucket; events follow', {
        error: describeError(error),
        events,
      });
      return undefined;
    }
  }
}

/**
 * The audit trail of one function as the configuration asks for it (`AUDIT_TRAIL`), writing through the
 * function's own store with the bucket's encryption; `undefined` when the trail is turned off.
 */
export function auditTrailFor(
  fn: string,
  config: Pick<Config, 'oss' | 'logs'>,
  store: Pick<ObjectStore, 'put'>,
  logger: Logger,
): AuditTrail | undefined {
  if (!config.logs.auditTrail) return undefined;
  return new AuditTrail({
    fn,
    keys: new LogKeys(config.oss.rootDirectory),
    put: (key, body, options) => store.put(key, body, options),
    logger,
    encryption: config.oss.encryption,
  });
}

/** Objects up to this size are written uncompressed inside their gzip container (`gzip-stored.ts`). */
export const STORED_MAX_BYTES = 16 * 1024;

/** The object's body: stored when small, through zlib (loaded then, not at cold start) when larger. */
async function gzip(body: Buffer): Promise<Buffer> {
  if (body.length <= STORED_MAX_BYTES) return gzipStored(body);
  const { gzipSync } = await import('node:zlib');
  return gzipSync(body, { level: 6 });
}
