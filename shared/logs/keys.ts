/**
 * Where shipped logs and the audit trail live (docs/log-shipper.md §1). Both are subtrees of `logs/` whose
 * first segment starts with "_", which no namespace can: the platform's own job logs at
 * `logs/<namespace>/<deploymentId>/<jobId>/` are never written to, and `logs/_reports/` stays the tools'.
 *
 *   logs/_shipped/namespace=<ns>/deployment=<id>/date=YYYY-MM-DD/hour=HH/<object>.ndjson.gz
 *   logs/_shipped/_compaction/namespace=<ns>/deployment=<id>/date=…/hour=…/<merged>.json   (in-flight merges)
 *   logs/_audit/function=<fn>/date=YYYY-MM-DD/hour=HH/<object>.ndjson.gz
 *
 * Partition folders are Hive style (`name=value`), so DuckDB, Spark, Trino and MaxCompute prune by them.
 */
import { ValidationError } from '../errors';
import { isoTime } from '../iso-time';
import { assertNamespace } from '../layout/names';
import { labelProblem } from './labels';

export const SHIPPED_DIR = '_shipped';
export const AUDIT_DIR = '_audit';
export const COMPACTION_DIR = '_compaction';
export const OBJECT_SUFFIX = '.ndjson.gz';

/** How an object got its name: its first letter. */
export type ObjectKind =
  /** `Idempotency-Key` of the sender. */
  | 'k'
  /** Content hash of a batch whose every record carries its own timestamp (collector retries). */
  | 'h'
  /** Random: a batch that cannot be recognised when sent again. */
  | 'r'
  /** Written by compaction from the objects it names. */
  | 'm';

/** One hour partition of one deployment's shipped logs. */
export interface Partition {
  namespace: string;
  deployment: string;
  /** `YYYY-MM-DD` (UTC). */
  date: string;
  /** `00`–`23` (UTC). */
  hour: string;
}

/** The hour partition a moment falls in (UTC). */
export function partitionOf(namespace: string, deployment: string, at: Date | number): Partition {
  const iso = isoTime(at);
  return { namespace, deployment, date: iso.slice(0, 10), hour: iso.slice(11, 13) };
}

/** Start of the partition's hour, in ms since the epoch. */
export function partitionStart(p: Pick<Partition, 'date' | 'hour'>): number {
  return Date.parse(`${p.date}T${p.hour}:00:00.000Z`);
}

/** Key layout of shipped logs and the audit trail under a root directory ("" or ending in "/"). */
export class LogKeys {
  readonly logsPrefix: string;

  constructor(root = '') {
    this.logsPrefix = `${root}logs/`;
  }

  /** `<root>logs/_shipped/`, or one namespace's / deployment's subtree. */
  shippedPrefix(namespace?: string, deployment?: string): string {
    let prefix = `${this.logsPrefix}${SHIPPED_DIR}/`;
    if (namespace === undefined) return prefix;
    assertNamespace(namespace);
    prefix += `namespace=${namespace}/`;
    if (deployment === undefined) return prefix;
    assertLabel('deployment', deployment);
    return `${prefix}deployment=${deployment}/`;
  }

  /** `…/namespace=<ns>/deployment=<id>/date=<d>/hour=<h>/`. */
  partitionPrefix(p: Partition): string {
    return `${this.shippedPrefix(p.namespace, p.deployment)}date=${p.date}/hour=${p.hour}/`;
  }

  /** The key of a shipped object: `<partition>/<name>.ndjson.gz`. */
  objectKey(p: Partition, name: string): string {
    return `${this.partitionPrefix(p)}${name}${OBJECT_SUFFIX}`;
  }

  /** `<root>logs/_shipped/_compaction/`: merges in flight, one JSON intent per merge. */
  compactionPrefix(): string {
    return `${this.logsPrefix}${SHIPPED_DIR}/${COMPACTION_DIR}/`;
  }

  /** The intent of the merge that writes `mergedKey`. */
  intentKey(mergedKey: string): string {
    const rest = mergedKey.slice(this.shippedPrefix().length).replace(/\.ndjson\.gz$/, '.json');
    return `${this.compactionPrefix()}${rest}`;
  }

  /** Takes a shipped object key apart, or `undefined` for anything else (intents, foreign keys). */
  parseObjectKey(key: string): { partition: Partition; name: string } | undefined {
    const prefix = this.shippedPrefix();
    if (!key.startsWith(prefix)) return undefined;
    const m =
      /^namespace=([^/]+)\/deployment=([^/]+)\/date=(\d{4}-\d{2}-\d{2})\/hour=(\d{2})\/([^/]+)\.ndjson\.gz$/.exec(
        key.slice(prefix.length),
      );
    if (!m) return undefined;
    const [, namespace, deployment, date, hour, name] = m as unknown as [
      string,
      string,
      string,
      string,
      string,
      string,
    ];
    return { partition: { namespace, deployment, date, hour }, name };
  }

  /** `<root>logs/_audit/` or one function's audit subtree `…/function=<fn>/`. */
  auditPrefix(fn?: string): string {
    const prefix = `${this.logsPrefix}${AUDIT_DIR}/`;
    if (fn === undefined) return prefix;
    assertLabel('function', fn);
    return `${prefix}function=${fn}/`;
  }

  /** The key of one batch of audit events: `…/function=<fn>/date=<d>/hour=<h>/<name>.ndjson.gz`. */
  auditKey(fn: string, at: Date | number, name: string): string {
    const iso = isoTime(at);
    return `${this.auditPrefix(fn)}date=${iso.slice(0, 10)}/hour=${iso.slice(11, 13)}/${name}${OBJECT_SUFFIX}`;
  }
}

function assertLabel(field: string, value: string): void {
  const problem = labelProblem(value);
  if (problem) throw new ValidationError('LABEL_INVALID', field, `${field} ${JSON.stringify(value)} ${problem}`);
}
