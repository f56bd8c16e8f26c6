/**
 * The report of one pruning run (written under `logs/_reports/state-pruner/<yyyy>/<mm>/<dd>/`) and its
 * one-paragraph summary for the function log. Pure: plan, execution and context in, JSON out.
 * Field meanings are in docs/state-pruner.md §6.
 */

import { isoTime } from '../iso-time';
import type { DeletedEntry } from './deleted-log';
import type { StreamResult } from './execute';
import type { PrunePlan, PruneScope } from './plan';
import type { BucketWarning } from './warnings';

export const REPORT_SCHEMA_VERSION = 1;
const GIB = 1024 ** 3;

export type RunOutcome = 'dry-run' | 'completed' | 'partial' | 'blocked' | 'lease-held' | 'fanned-out' | 'failed';

export interface RunContext {
  runId: string;
  bucket: string;
  startedAt: number;
  finishedAt: number;
  dryRun: boolean;
  scope: PruneScope;
  pricePerGbMonth: Readonly<Record<string, number>>;
  requests: { list: number; metadataReads: number; deleteBatches: number };
  warnings: BucketWarning[];
  error?: string;
  /** For a fanned-out run: the namespaces handed to other invocations. */
  fannedOut?: string[];
}

export interface PruneReport {
  schemaVersion: number;
  tool: 'state-pruner';
  runId: string;
  bucket: string;
  startedAt: string;
  finishedAt: string;
  asOf: string;
  dryRun: boolean;
  scope: PruneScope;
  outcome: RunOutcome;
  warnings: BucketWarning[];
  totals: PrunePlan['totals'] & {
    deletedObjects: number;
    deletedBytes: number;
    /** How many of the deleted objects are `_metadata`. */
    deletedMetadata: number;
    failedObjects: number;
    notAttempted: number;
    requests: RunContext['requests'];
  };
  cost: {
    pricePerGbMonth: Readonly<Record<string, number>>;
    bytesByClass: Record<string, number>;
    monthlyBefore: number;
    monthlyAfter: number;
  };
  owners: Array<PrunePlan['owners'][number] & { monthlyCost: number; reclaimedBytes: number; totalBytes: number }>;
  /**
   * Deleted keys (a dry run: the keys a real run would delete), each with its reason: the first 10,000;
   * the others are in `deletedParts`, in order.
   */
  deleted: DeletedEntry[];
  /** NDJSON objects holding the deleted keys after the first 10,000, one per line (absent when none). */
  deletedParts?: string[];
  failed: StreamResult['failed'];
  skipped: PrunePlan['skipped'];
  unreadable: PrunePlan['unreadable'];
  stoppedBy?: StreamResult['stoppedBy'];
  fannedOut?: string[];
  error?: string;
  unowned: PrunePlan['unowned'];
}

/** Monthly cost of `bytesByClass` at `prices` (per GiB-month, the unit OSS bills in). */
export function monthlyCost(bytesByClass: Record<string, number>, prices: Readonly<Record<string, number>>): number {
  let sum = 0;
  for (const [cls, bytes] of Object.entries(bytesByClass)) sum += (bytes / GIB) * (prices[cls] ?? prices.Standard ?? 0);
  return round(sum);
}

/** A plan without its deletions: what the report needs of it once the deletions have streamed past. */
export type PlanSummary = Omit<PrunePlan, 'deletions' | 'metadataDeletions'>;

/** Deleted (in a dry run: would-be deleted) objects and bytes of one owner, by storage class. */
export interface OwnerDeleted {
  objects: number;
  bytes: number;
  byClass: Record<string, number>;
}

/** What carrying out (or, in a dry run, counting) the deletions gave. */
export interface RunExecution extends StreamResult {
  deleted: DeletedEntry[];
  deletedParts: string[];
  byOwner: ReadonlyMap<string, OwnerDeleted>;
}

/** Builds the report; `execution` is absent when the run never reached its deletions. */
export function buildReport(
  plan: PlanSummary | undefined,
  execution: RunExecution | undefined,
  ctx: RunContext,
): PruneReport {
  const byOwnerDeleted = execution?.byOwner ?? new Map<string, OwnerDeleted>();
  const bytesByClass: Record<string, number> = {};
  const afterByClass: Record<string, number> = {};
  const owners = (plan?.owners ?? [])
    .map((o) => {
      const gone = byOwnerDeleted.get(o.owner);
      for (const [cls, b] of Object.entries(o.bytesByClass)) {
        bytesByClass[cls] = (bytesByClass[cls] ?? 0) + b;
        afterByClass[cls] = (afterByClass[cls] ?? 0) + b - (gone?.byClass[cls] ?? 0);
      }
      const totalBytes = Object.values(o.bytesByClass).reduce((n, b) => n + b, 0);
      return {
        ...o,
        deletedObjects: gone?.objects ?? 0,
        deletedBytes: gone?.bytes ?? 0,
        totalBytes,
        reclaimedBytes: gone?.bytes ?? 0,
        monthlyCost: monthlyCost(o.bytesByClass, ctx.pricePerGbMonth),
      };
    })
    .sort((a, b) => b.totalBytes - a.totalBytes || (a.owner < b.owner ? -1 : 1));
  const outcome: RunOutcome = ctx.error
    ? 'failed'
    : ctx.fannedOut
      ? 'fanned-out'
      : !plan
        ? 'lease-held'
        : plan.unreadable.length > 0
          ? 'blocked'
          : ctx.dryRun
            ? 'dry-run'
            : execution?.stoppedBy
              ? 'partial'
              : 'completed';
  return {
    schemaVersion: REPORT_SCHEMA_VERSION,
    tool: 'state-pruner',
    runId: ctx.runId,
    bucket: ctx.bucket,
    startedAt: isoTime(ctx.startedAt),
    finishedAt: isoTime(ctx.finishedAt),
    asOf: plan?.asOf ?? isoTime(ctx.startedAt),
    dryRun: ctx.dryRun,
    scope: ctx.scope,
    outcome,
    warnings: ctx.warnings,
    totals: {
      ...(plan?.totals ?? emptyTotals()),
      deletedObjects: execution?.deletedObjects ?? 0,
      deletedBytes: execution?.deletedBytes ?? 0,
      deletedMetadata: execution?.deletedMetadata ?? 0,
      failedObjects: execution?.failed.length ?? 0,
      notAttempted: execution?.notAttempted ?? 0,
      requests: ctx.requests,
    },
    cost: {
      pricePerGbMonth: ctx.pricePerGbMonth,
      bytesByClass,
      monthlyBefore: monthlyCost(bytesByClass, ctx.pricePerGbMonth),
      monthlyAfter: monthlyCost(afterByClass, ctx.pricePerGbMonth),
    },
    owners,
    deleted: execution?.deleted ?? [],
    ...(execution && execution.deletedParts.length > 0 ? { deletedParts: execution.deletedParts } : {}),
    failed: execution?.failed ?? [],
    skipped: plan?.skipped ?? [],
    unreadable: plan?.unreadable ?? [],
    ...(execution?.stoppedBy ? { stoppedBy: execution.stoppedBy } : {}),
    ...(ctx.fannedOut ? { fannedOut: ctx.fannedOut } : {}),
    ...(ctx.error ? { error: ctx.error } : {}),
    unowned: plan?.unowned ?? { count: 0, bytes: 0, examples: [] },
  };
}

/** A few lines for the function log: what happened, what it saved, what needs the owner's attention. */
export function summarize(report: PruneReport): string {
  const t = report.totals;
  const verb = report.dryRun ? 'would delete' : 'deleted';
  const lines = [
    `state-pruner ${report.outcome}${report.dryRun ? ' (dry run: set PRUNE_DRY_RUN=false to delete)' : ''}: ` +
      `${t.jobs} jobs, ${t.checkpoints} checkpoints, ${t.savepoints} savepoints in ${t.objects} objects (${formatBytes(t.bytes)}); ` +
      `${verb} ${t.deletedObjects} objects (${formatBytes(t.deletedBytes)}); ` +
      `storage ${report.cost.monthlyBefore} → ${report.cost.monthlyAfter} per month`,
  ];
  const top = report.owners.slice(0, 3).map((o) => `${o.owner} ${formatBytes(o.totalBytes)} (${o.monthlyCost}/month)`);
  if (top.length > 0) lines.push(`largest: ${top.join('; ')}`);
  if (report.unreadable.length > 0)
    lines.push(
      `BLOCKED: ${report.unreadable.length} _metadata unreadable, nothing deleted (first: ${report.unreadable[0]?.key} ${report.unreadable[0]?.code})`,
    );
  for (const w of report.warnings) lines.push(`WARNING ${w.code}: ${w.message}`);
  if (report.stoppedBy)
    lines.push(`stopped early (${report.stoppedBy}); ${t.notAttempted} deletions left for the next run`);
  if (t.failedObjects > 0) lines.push(`${t.failedObjects} deletions failed; see the report`);
  if (report.error) lines.push(`error: ${report.error}`);
  return lines.join('\n');
}

function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let i = 0;
  let v = n;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${i === 0 ? v : v.toFixed(1)} ${units[i]}`;
}

function round(n: number): number {
  return Math.round(n * 10_000) / 10_000;
}

function emptyTotals(): PrunePlan['totals'] {
  return {
    objects: 0,
    bytes: 0,
    deleteObjects: 0,
    deleteBytes: 0,
    jobs: 0,
    checkpoints: 0,
    savepoints: 0,
    metadataRead: 0,
  };
}
