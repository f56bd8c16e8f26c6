/**
 * A parsed batch → the objects that store it: records normalised, grouped by the hour partition of their
 * time, each group one gzip NDJSON object with a name that is the same when the batch is sent again.
 */
import { createHash, randomUUID } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { visitBody } from './body';
import { LogIntakeError, type RecordProblem } from './errors';
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
  /** The decoded body. */
  body: Buffer;
  contentType?: string | undefined;
  /** `?format=`; detected when absent. */
  format?: string | null | undefined;
  /** Store the readable records when some are not (else refuse the batch). */
  partial?: boolean;
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
  const problems: RecordProblem[] = [];
  let allOwnTime = true;
  let count = 0;
  let lastHour = Number.NaN;
  let lastGroup: string[] = [];
  visitBody(
    o.body,
    o.contentType,
    o.format,
    (record) => {
      const n = normalizeRecord(record, labels, receivedUs);
      count++;
      if (!n.ownTime) allOwnTime = false;
      const hour = Math.floor(n.tsUs / 3_600_000_000);
      if (hour !== lastHour) {
        lastHour = hour;
        const found = groups.get(hour);
        lastGroup = found ?? [];
        if (!found) groups.set(hour, lastGroup);
      }
      lastGroup.push(n.line);
    },
    (problem) => problems.push(problem),
  );
  if (problems.length > 0 && !o.partial) throw refusal(problems, count);
  const fingerprint = createHash('sha256').update(labels).update('\0').update(o.body).digest('hex');
  const { kind, name } = objectName(o, allOwnTime && count > 0, fingerprint);
  const objects: BatchObject[] = [];
  for (const [hour, lines] of [...groups].sort((a, b) => a[0] - b[0])) {
    const partition = partitionOf(o.labels.namespace, o.labels.deployment, hour * 3_600_000);
    lines.push('');
    objects.push({
      partition,
      key: o.keys.objectKey(partition, name),
      body: gzipSync(Buffer.from(lines.join('\n'), 'utf8'), { level: INTAKE_GZIP_LEVEL }),
      records: lines.length - 1,
    });
  }
  return { objects, accepted: count, rejected: problems, kind, fingerprint };
}

/** Most bad lines listed in an error; the count says how many there were. */
const MAX_LISTED_PROBLEMS = 20;

function refusal(problems: RecordProblem[], good: number): LogIntakeError {
  const listed = problems.slice(0, MAX_LISTED_PROBLEMS);
  const where = listed.map((p) => `${p.line !== undefined ? `line ${p.line}` : `element ${p.index}`}: ${p.message}`);
  return new LogIntakeError(
    'RECORDS_INVALID',
    `${problems.length} of ${problems.length + good} records cannot be read, so nothing was stored ` +
      `(add ?partial=true to store the others): ${where.join('; ')}${problems.length > listed.length ? '; …' : ''}`,
    listed,
  );
}

function objectName(o: PrepareOptions, allOwnTime: boolean, fingerprint: string): { kind: ObjectKind; name: string } {
  if (o.idempotencyKey !== undefined) {
    const h = createHash('sha256')
      .update(`key\0${o.labels.namespace}\0${o.labels.deployment}\0${o.idempotencyKey}`)
      .digest('hex');
    return { kind: 'k', name: `k-${h.slice(0, 40)}` };
  }
  if (allOwnTime) return { kind: 'h', name: `h-${fingerprint.slice(0, 40)}` };
  return { kind: 'r', name: `r-${randomUUID().replaceAll('-', '')}` };
}
