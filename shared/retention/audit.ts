/**
 * What a pruning run tells the pack's audit trail (docs/log-shipper.md §6): one `prune.run` event with the
 * run's totals and where its report is, and for a run that really deleted, one `state.deleted` event per key
 * with its reason. Past `MAX_DELETION_EVENTS` the rest is one `state.deleted.more` event: the report and
 * its parts list every key, and the trail must not hold a million events in memory.
 */
import type { PruneReport } from './report';

export const MAX_DELETION_EVENTS = 10_000;

/** Where the events go: `AuditTrail` fits. */
export interface AuditSink {
  record(event: string, fields: Record<string, unknown>): void;
}

/** Records one run's audit events; never does I/O itself. */
export function recordPruneAudit(sink: AuditSink, report: PruneReport, reportKey: string): void {
  sink.record('prune.run', {
    runId: report.runId,
    outcome: report.outcome,
    dryRun: report.dryRun,
    asOf: report.asOf,
    scope: report.scope,
    deletedObjects: report.totals.deletedObjects,
    deletedBytes: report.totals.deletedBytes,
    failedObjects: report.totals.failedObjects,
    unreadable: report.unreadable.length,
    warnings: report.warnings.map((w) => w.code),
    reportKey,
  });
  if (report.dryRun) return;
  const shown = report.deleted.slice(0, MAX_DELETION_EVENTS);
  for (const d of shown) sink.record('state.deleted', { key: d.key, size: d.size, reason: d.reason });
  // The report lists the first keys itself and the rest in parts; only the count of the rest is an event.
  const rest = report.totals.deletedObjects - shown.length;
  if (rest > 0) sink.record('state.deleted.more', { count: rest, reportKey });
}
