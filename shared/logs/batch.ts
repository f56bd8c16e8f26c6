/**
 * A parsed batch → the objects that store it: records normalised, grouped by the hour partition of their
 * time, each group one gzip NDJSON object with a name that is the same when the batch is sent again.
 */
import { createHash, randomUUID } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import type { ParsedBody } from './body';
import type { RecordProblem } from './errors';
import { type LogKeys, type ObjectKind, type Partition, partitionOf } from './keys';
import type { LogLabels } from './labels';
import { labelsJson, normalizeRecord } from './normalize';

/** zlib level 1: the intake is bound by compression speed; compaction recompresses smaller later. */
export const INTAKE_GZIP_LEVEL = 1;

export interface BatchObject {
  partition: Partition;
  key: string;
  /** gzip NDJSON, one normalised record per line. */
  body: Buffer;
  records: number;
}

export interface PreparedBatch {
  objects: BatchObject[];
  /** Records stored. */
  accepted: number;
  /** Records refused (partial acceptance), with their line. */
  rejected: RecordProblem[];
  /** How the object names were chosen. */
  kind: ObjectKind;
  /**
   * SHA-256 of labels and decoded body: stored with each object, so a retry that finds the name taken can
   * tell its own batch (success) from another batch that reused the key (conflict).
   */
  fingerprint: string;
}

export interface PrepareOptions {
  labels: LogLabels;
  body: Buffer;
  parsed: ParsedBody;
  receivedAt: Date;
  keys: LogKeys;
  idempotencyKey?: string;
}

/**
 * Builds the objects of a batch. Names are deterministic whenever a resend can be recognised: from the
 * `Idempotency-Key` (scoped by namespace and deployment, so tenants cannot collide), or, when every record
 * carries its own time (Fluent Bit, Vector), from the content itself. Otherwise the name is random.
 */
export function prepareBatch(o: PrepareOptions): PreparedBatch {
  const labels = labelsJson(o.labels);
  const receivedUs = o.receivedAt.getTime() * 1000;
  const groups = new Map<number, string[]>();
  let allOwnTime = true;
  let lastHour = Number.NaN;
  let lastGroup: string[] | undefined;
  for (const record of o.parsed.records) {
    const n = normalizeRecord(record, labels, receivedUs);
    if (!n.ownTime) allOwnTime = false;
    const hour = Math.floor(n.tsUs / 3_600_000_000);
    if (hour !== lastHour) {
      lastHour = hour;
      lastGroup = groups.get(hour);
      if (!lastGroup) {
        lastGroup = [];
        groups.set(hour, lastGroup);
      }
    }
    lastGroup!.push(n.line);
  }
  const fingerprint = createHash('sha256').update(labels).update('\0').update(o.body).digest('hex');
  const { kind, name } = objectName(o, allOwnTime, fingerprint);
  const objects: BatchObject[] = [];
  for (const [hour, lines] of [...groups].sort((a, b) => a[0] - b[0])) {
    const partition = partitionOf(o.labels.namespace, o.labels.deployment, hour * 3_600_000);
    objects.push({
      partition,
      key: o.keys.objectKey(partition, name),
      body: gzipSync(Buffer.from(`${lines.join('\n')}\n`, 'utf8'), { level: INTAKE_GZIP_LEVEL }),
      records: lines.length,
    });
  }
  return { objects, accepted: o.parsed.records.length, rejected: o.parsed.problems, kind, fingerprint };
}

function objectName(o: PrepareOptions, allOwnTime: boolean, fingerprint: string): { kind: ObjectKind; name: string } {
  if (o.idempotencyKey !== undefined) {
    const h = createHash('sha256')
      .update(`key\0${o.labels.namespace}\0${o.labels.deployment}\0${o.idempotencyKey}`)
      .digest('hex');
    return { kind: 'k', name: `k-${h.slice(0, 40)}` };
  }
  if (allOwnTime && o.parsed.records.length > 0) return { kind: 'h', name: `h-${fingerprint.slice(0, 40)}` };
  return { kind: 'r', name: `r-${randomUUID().replaceAll('-', '')}` };
}
