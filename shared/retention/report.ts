/**
 * The report of one pruning run (written under `logs/_reports/state-pruner/<yyyy>/<mm>/<dd>/`) and its
 * one-paragraph summary for the function log. Pure: plan, execution and context in, JSON out.
 * Field meanings are in docs/state-pruner.md §6.
 */
import type { ExecuteResult } from './execute';
import type { PlannedDeletion, PrunePlan, PruneScope } from './plan';
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
  /** Deleted keys (a dry run: the keys a real run would delete), each with its reason. */
  deleted: Array<Pick<PlannedDeletion, 'key' | 'size' | 'reason' | 'storageClass'>>;
  failed: ExecuteResult['failed'];
  skipped: PrunePlan['skipped'];
  unreadable: PrunePlan['unreadable'];
  stoppedBy?: ExecuteResult['stoppedBy'];
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

/** Builds the report; `execution` is absent for a dry run or a run that deleted nothing. */
export function buildReport(
  plan: PrunePlan | undefined,
  execution: ExecuteResult | undefined,
  ctx: RunContext,
): PruneReport {
  const deletedList = ctx.dryRun ? (plan?.deletions ?? []) : (execution?.deleted ?? []);
  const byOwnerDeleted = new Map<string, { bytes: number; byClass: Record<string, number> }>();
  for (const d of deletedList) {
    const o = byOwnerDeleted.get(d.owner) ?? { bytes: 0, byClass: {} };
    o.bytes += d.size;
    o.byClass[d.storageClass] = (o.byClass[d.storageClass] ?? 0) + d.size;
    byOwnerDeleted.set(d.owner, o);
  }
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
        deletedObjects: ctx.dryRun ? o.deletedObjects : deletedList.filter((d) => d.owner === o.owner).length,
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
    startedAt: new Date(ctx.startedAt).toISOString(),
    finishedAt: new Date(ctx.finishedAt).toISOString(),
    asOf: plan?.asOf ?? new Date(ctx.startedAt).toISOString(),
    dryRun: ctx.dryRun,
    scope: ctx.scope,
    outcome,
    warnings: ctx.warnings,
    totals: {
      ...(plan?.totals ?? emptyTotals()),
      deletedObjects: deletedList.length,
      deletedBytes: deletedList.reduce((n, d) => n + d.size, 0),
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
    deleted: deletedList.map((d) => ({ key: d.key, size: d.size, reason: d.reason, storageClass: d.storageClass })),
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
