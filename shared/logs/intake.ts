/**
 * The log intake: one batch in, its objects durable in OSS, then the answer. Nothing is acknowledged
 * before every object of the batch is stored; a batch sent again lands once (docs/log-shipper.md §3).
 */

import { StorageError } from '../storage/errors';
import type { Encryption, ObjectStore, PutOptions, PutResult } from '../storage/port';
import type { PutObject } from './audit';
import { prepareBatch } from './batch';
import { decodeBody } from './body';
import { LogIntakeError, type RecordProblem } from './errors';
import type { LogKeys, ObjectKind } from './keys';
import type { LogLabels } from './labels';
import type { SliceEncoder } from './slices';

export interface IntakeRequest {
  labels: LogLabels;
  body: Uint8Array;
  contentType?: string;
  contentEncoding?: string;
  /** `?format=`: ndjson, json or text; detected when absent. */
  format?: string | null;
  idempotencyKey?: string;
  /** Store the good records of a batch with bad ones, and report the bad ones, instead of refusing it. */
  partial: boolean;
  receivedAt: Date;
}

export interface IntakeResult {
  accepted: number;
  rejected: RecordProblem[];
  /** True when every object was already stored by an earlier send of the same batch. */
  duplicate: boolean;
  kind: ObjectKind;
  objects: Array<{ key: string; records: number; bytes: number; existed: boolean }>;
}

export interface IntakeOptions {
  /** `put` writes the objects (the store's, or a lean signed PUT); `head` checks a resent batch's objects. */
  store: { put: PutObject; head: ObjectStore['head'] };
  keys: LogKeys;
  /** Largest batch, as received and decoded. */
  maxBatchBytes: number;
  encryption?: Encryption | undefined;
  /** Worker threads that encode slices of large batches. */
  threads?: SliceEncoder | undefined;
}

export const MAX_IDEMPOTENCY_KEY_LENGTH = 256;

/**
 * Decodes, parses, normalises and stores one batch. Throws `LogIntakeError` for a batch it refuses
 * (413, 400 with line numbers, 409 on a reused `Idempotency-Key`) and `StorageError` when OSS fails, in
 * which case nothing was acknowledged and the sender should retry.
 */
export async function shipBatch(req: IntakeRequest, o: IntakeOptions): Promise<IntakeResult> {
  if (req.body.byteLength > o.maxBatchBytes) {
    throw new LogIntakeError(
      'BATCH_TOO_LARGE',
      `The batch is larger than ${o.maxBatchBytes} bytes; send smaller batches.`,
    );
  }
  if (
    req.idempotencyKey !== undefined &&
    (req.idempotencyKey.length === 0 || req.idempotencyKey.length > MAX_IDEMPOTENCY_KEY_LENGTH)
  ) {
    throw new LogIntakeError('BODY_INVALID', `Idempotency-Key must be 1–${MAX_IDEMPOTENCY_KEY_LENGTH} characters.`);
  }
  const decoded = decodeBody(req.body, req.contentEncoding, o.maxBatchBytes);
  const batch = await prepareBatch({
    labels: req.labels,
    body: decoded,
    contentType: req.contentType,
    format: req.format,
    partial: req.partial,
    receivedAt: req.receivedAt,
    keys: o.keys,
    threads: o.threads,
    ...(req.idempotencyKey !== undefined && { idempotencyKey: req.idempotencyKey }),
  });
  const options: PutOptions = {
    contentType: 'application/gzip',
    forbidOverwrite: true,
    ...(o.encryption && { encryption: o.encryption }),
  };
  const settled = await Promise.allSettled(
    batch.objects.map(async (object) => {
      try {
        const written = await o.store.put(object.key, object.body, {
          ...options,
          meta: { batch: batch.fingerprint, records: String(object.records) },
        });
        // A retry that found the batch's own bytes: stored once, by this request's earlier attempt or another's.
        return (written as PutResult | undefined)?.alreadyStored === true;
      } catch (error) {
        if (!(error instanceof StorageError) || error.code !== 'OSS_ALREADY_EXISTS') throw error;
        const existing = await o.store.head(object.key);
        if (existing?.meta.batch === batch.fingerprint) return true;
        throw new LogIntakeError(
          'IDEMPOTENCY_CONFLICT',
          `Idempotency-Key "${req.idempotencyKey}" was already used for a different batch of ${req.labels.namespace}/${req.labels.deployment}; use a new key for new records.`,
        );
      }
    }),
  );
  // Every write has finished (or failed) before answering, so a refusal never races a write still in flight.
  const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed) throw failed.reason;
  const existed = settled.map((s) => (s as PromiseFulfilledResult<boolean>).value);
  return {
    accepted: batch.accepted,
    rejected: batch.rejected,
    duplicate: existed.length > 0 && existed.every(Boolean),
    kind: batch.kind,
    objects: batch.objects.map((object, i) => ({
      key: object.key,
      records: object.records,
      bytes: object.body.byteLength,
      existed: existed[i]!,
    })),
  };
}
