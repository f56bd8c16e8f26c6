import { describe, expect, it } from 'vitest';
import { MAX_DELETION_EVENTS, recordPruneAudit } from '../../../shared/retention/audit';
import type { PruneReport } from '../../../shared/retention/report';

function report(dryRun: boolean, deletions: number): PruneReport {
  const deleted = Array.from({ length: deletions }, (_, i) => ({
    key: `flink-jobs/ns/dep/ckpt/job/chk-${i}/_metadata`,
    size: 100 + i,
    reason: 'older than the newest 3 completed checkpoints',
  }));
  return {
    runId: 'run-1',
    outcome: 'completed',
    dryRun,
    asOf: '2026-12-01T00:00:00.000Z',
    scope: {},
    totals: { deletedObjects: dryRun ? 0 : deletions, deletedBytes: 0, failedObjects: 0 },
    unreadable: [],
    warnings: [{ code: 'BUCKET_VERSIONING_ENABLED' }],
    deleted,
  } as unknown as PruneReport;
}

function collect(r: PruneReport) {
  const events: Array<{ event: string; fields: Record<string, unknown> }> = [];
  recordPruneAudit({ record: (event, fields) => events.push({ event, fields }) }, r, 'logs/_reports/r.json');
  return events;
}

describe('recordPruneAudit', () => {
  it('a dry run is one run event, with no deletion events though the report lists what would go', () => {
    const events = collect(report(true, 3));
    expect(events).toEqual([
      {
        event: 'prune.run',
        fields: expect.objectContaining({
          dryRun: true,
          reportKey: 'logs/_reports/r.json',
          warnings: ['BUCKET_VERSIONING_ENABLED'],
        }),
      },
    ]);
  });

  it('a real run records each deleted key with its reason', () => {
    const events = collect(report(false, 2));
    expect(events.map((e) => e.event)).toEqual(['prune.run', 'state.deleted', 'state.deleted']);
    expect(events[1]!.fields).toEqual({
      key: 'flink-jobs/ns/dep/ckpt/job/chk-0/_metadata',
      size: 100,
      reason: 'older than the newest 3 completed checkpoints',
    });
    expect(events[0]!.fields).toMatchObject({ deletedObjects: 2 });
  });

  it('past the cap, the rest is one event that points at the report', () => {
    const events = collect(report(false, MAX_DELETION_EVENTS + 2));
    expect(events.filter((e) => e.event === 'state.deleted')).toHaveLength(MAX_DELETION_EVENTS);
    expect(events.at(-1)).toEqual({
      event: 'state.deleted.more',
      fields: { count: 2, reportKey: 'logs/_reports/r.json' },
    });
  });
});
