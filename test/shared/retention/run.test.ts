import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type RunningOssServer, startOssServer } from '../../../local/oss';
import { loadConfig, type PruneConfig } from '../../../shared/config';
import { BucketLayout } from '../../../shared/layout';
import { createLogger } from '../../../shared/log';
import { acquireLease } from '../../../shared/retention/lease';
import type { PruneReport } from '../../../shared/retention/report';
import { type PruneRunDeps, runPrune } from '../../../shared/retention/run';
import { AliOssStore } from '../../../shared/storage';
import type { ObjectStore } from '../../../shared/storage/port';
import { writeMetadata } from '../../support/metadata-writer';
import { DAY, uuid } from '../../support/state-tree';

const root = { accessKeyId: 'prune-test-key', accessKeySecret: 'prune-test-secret' };
const BUCKET = 'prune-test';
let server: RunningOssServer;
let c: ReturnType<typeof config>;
let store: AliOssStore;

beforeAll(async () => {
  server = await startOssServer({ port: 0, accessKeys: [root], buckets: [BUCKET] });
  c = config();
  store = new AliOssStore({
    config: c.oss,
    credentials: () => root,
    retry: { attempts: 3, baseDelayMs: 5, maxDelayMs: 20 },
  });
});
afterAll(async () => {
  await server?.close();
});
afterEach(() => server.faults.clear());

function config(env: Record<string, string> = {}) {
  return loadConfig({
    OSS_BUCKET: BUCKET,
    OSS_REGION: 'cn-hangzhou',
    OSS_ENDPOINT: `http://localhost:${server.port}`,
    OSS_PATH_STYLE: 'true',
    PRUNE_DRY_RUN: 'false',
    ...env,
  });
}

const layout = new BucketLayout(BUCKET);
const silent = createLogger({}, { write: () => {} });

const job = 'flink-jobs/namespaces/team-a/deployments/d1/checkpoints/jobs/j1/0000000000000000000000000000000a/';
const other = 'flink-jobs/namespaces/team-b/deployments/d2/checkpoints/jobs/j2/0000000000000000000000000000000b/';
const oss = (key: string) => `oss://${BUCKET}/${key}`;

/**
 * Writes two jobs of five checkpoints each, incremental, with one orphan shared file each. The objects are
 * written now; the runs below look at them from 30 days later, which is what ageing them would do.
 */
async function writeTree(): Promise<string[]> {
  const keys: string[] = [];
  const put = async (key: string, body: Buffer | string = 'x') => {
    await store.put(key, body);
    keys.push(key);
  };
  for (const [i, dir] of [job, other].entries()) {
    for (let n = 1; n <= 5; n++) {
      const shared = `${dir}shared/${uuid(n, 10 + i)}`;
      await put(shared);
      await put(`${dir}chk-${n}/${uuid(n, 20 + i)}`);
      await put(
        `${dir}chk-${n}/_metadata`,
        writeMetadata({ checkpointId: n, shared: [oss(shared)], relative: [uuid(n, 20 + i)] }),
      );
    }
    await put(`${dir}shared/${uuid(99, 10 + i)}`);
  }
  await put('flink-jobs/namespaces/team-a/deployments/d1/ha/checkpoint-store/x');
  await put('artifacts/namespaces/team-a/app.jar');
  return keys;
}

async function allKeys(): Promise<Set<string>> {
  const out = new Set<string>();
  for await (const page of store.list({})) for (const o of page.objects) out.add(o.key);
  return out;
}

async function clear(): Promise<void> {
  const keys = [...(await allKeys())];
  if (keys.length > 0) await store.deleteMany(keys);
}

function deps(settings: Partial<PruneConfig> = {}, extra: Partial<PruneRunDeps> = {}): PruneRunDeps {
  return {
    store,
    layout,
    settings: { ...c.prune, ...settings },
    logger: silent,
    runId: `run-${Math.random().toString(36).slice(2)}`,
    now: () => Date.now() + 30 * DAY,
    ...extra,
  };
}

/** What a run over the tree must leave: per job the newest checkpoint and the one shared file it names. */
function expectedSurvivors(keys: string[]): Set<string> {
  return new Set(
    keys.filter(
      (k) =>
        !k.startsWith('flink-jobs/namespaces/team-') ||
        k.includes('/ha/') ||
        k.includes('/chk-5/') ||
        k.endsWith(`shared/${uuid(5, 10)}`) ||
        k.endsWith(`shared/${uuid(5, 11)}`),
    ),
  );
}

async function storedReport(key: string): Promise<PruneReport> {
  return JSON.parse((await store.getBuffer(key))?.toString('utf8') ?? '{}') as PruneReport;
}

describe('runPrune against the local OSS server', () => {
  let keys: string[];
  beforeEach(async () => {
    await clear();
    keys = await writeTree();
  });

  it('deletes exactly what the rules allow and writes a date-partitioned report', async () => {
    const result = await runPrune(deps());
    const left = await allKeys();
    const expected = expectedSurvivors(keys);
    expected.add(result.reportKey);
    expect([...left].sort()).toEqual([...expected].sort());
    expect(result.reportKey).toMatch(/^logs\/_reports\/state-pruner\/\d{4}\/\d{2}\/\d{2}\/run-[a-z0-9]+\.json$/);
    const report = await storedReport(result.reportKey);
    expect(report.outcome).toBe('completed');
    // 2 jobs × (4 checkpoints × 2 objects + 4 old shared + 1 orphan)
    expect(report.totals.deletedObjects).toBe(2 * (8 + 5));
    expect(report.deleted.every((d) => typeof d.reason === 'string')).toBe(true);
    expect(report.owners.map((o) => o.owner).sort()).toEqual(['team-a/deployments/d1', 'team-b/deployments/d2']);
    expect(report.totals.requests.deleteBatches).toBe(2); // all _metadata, then the rest
    expect(result.summary).toMatch(/deleted 26 objects/);
  });

  it('hands the finished report to alongsideReport while the report itself is being written', async () => {
    // The report's PUT is held until alongsideReport has run: the two must be in flight together.
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const holding: ObjectStore = Object.create(store);
    holding.put = async (key, body, options) => {
      if (key.startsWith('logs/_reports/')) await held;
      return store.put(key, body, options);
    };
    let seen: { report: PruneReport; key: string } | undefined;
    const result = await runPrune(
      deps(
        { dryRun: true },
        {
          store: holding,
          alongsideReport: async (report, key) => {
            seen = { report, key };
            release();
          },
        },
      ),
    );
    expect(seen?.key).toBe(result.reportKey);
    expect(seen?.report).toBe(result.report);
    expect((await storedReport(result.reportKey)).runId).toBe(result.report.runId);
  });

  it('is a dry run unless PRUNE_DRY_RUN=false, and an event can only ask for a dry run', async () => {
    const dry = await runPrune(deps({ dryRun: true }));
    expect(dry.report.outcome).toBe('dry-run');
    expect(dry.report.deleted).toHaveLength(26);
    const asked = await runPrune(deps(), { dryRun: true });
    expect(asked.report.dryRun).toBe(true);
    const left = await allKeys();
    for (const k of keys) expect(left.has(k)).toBe(true);
  });

  it('a plan as of a future date never deletes', async () => {
    const r = await runPrune(deps({}, { now: () => Date.now() }), {
      asOf: new Date(Date.now() + 40 * DAY).toISOString(),
    });
    expect(r.report.dryRun).toBe(true);
    expect(r.report.deleted.length).toBe(26);
    await expect(runPrune(deps(), { asOf: '2001-01-01' })).rejects.toMatchObject({ code: 'AS_OF_IN_PAST' });
  });

  it('narrowed to a namespace, deletes only there', async () => {
    const r = await runPrune(deps(), { namespace: 'team-b' });
    expect(r.report.deleted.length).toBe(13);
    expect(r.report.deleted.every((d) => d.key.startsWith('flink-jobs/namespaces/team-b/'))).toBe(true);
  });

  it('does nothing while another run holds the lease', async () => {
    const t = Date.now() + 30 * DAY;
    const held = await acquireLease(store, {
      dir: 'logs/_reports/state-pruner/_lease/',
      holder: 'someone-else',
      ttlMs: c.prune.timeBudgetMs + 60_000,
      now: t,
    });
    expect(held.acquired).toBe(true);
    const r = await runPrune(deps({}, { now: () => t }));
    expect(r.report.outcome).toBe('lease-held');
    expect(r.report.deleted).toEqual([]);
    if (held.acquired) await held.lease.release();
  });

  it('stops cleanly at the time budget and the next run finishes the work', async () => {
    let calls = 0;
    const start = Date.now() + 30 * DAY;
    // Reads of the clock: the run's start, the check before the _metadata batch, the check before the
    // files batch. The clock jumps past the 10-minute budget at the third.
    const clock = () => start + (calls++ >= 2 ? 11 * 60_000 : 0);
    const first = await runPrune(deps({}, { now: clock }));
    expect(first.report.outcome).toBe('partial');
    expect(first.report.stoppedBy).toBe('TIME_BUDGET');
    const second = await runPrune(deps());
    expect(second.report.outcome).toBe('completed');
    const left = await allKeys();
    const expected = expectedSurvivors(keys);
    for (const k of [...left].filter((k) => !k.startsWith('logs/'))) expect(expected.has(k), k).toBe(true);
    for (const k of expected) expect(left.has(k), k).toBe(true);
  });

  it('never deletes what it must keep when the server fails requests', async () => {
    const expected = expectedSurvivors(keys);
    for (const op of ['ListObjectsV2', 'GetObject', 'DeleteMultipleObjects', 'PutObject']) {
      server.faults.set(op, { internalError: 0.3, slowDown: 0.2, reset: 0.1 });
      for (let i = 0; i < 3; i++) await runPrune(deps()).catch(() => undefined);
      server.faults.clear();
      const left = await allKeys();
      for (const k of expected) expect(left.has(k), `${k} after faults on ${op}`).toBe(true);
    }
    const final = await runPrune(deps());
    const left = await allKeys();
    const { outcome, warnings, error } = final.report;
    expect(
      [...left].filter((k) => !k.startsWith('logs/')).sort(),
      `final run: ${JSON.stringify({ outcome, warnings, error })}`,
    ).toEqual([...expected].sort());
  });

  it('stops everything while one _metadata is unreadable, and reports which', async () => {
    const key = `${other}chk-5/_metadata`;
    await store.put(key, writeMetadata({ shared: [oss(`${other}shared/x`)] }).subarray(0, 40));
    const r = await runPrune(deps());
    expect(r.report.outcome).toBe('blocked');
    expect(r.report.unreadable).toEqual([{ key, code: 'METADATA_TRUNCATED', message: expect.any(String) }]);
    const left = await allKeys();
    for (const k of keys) expect(left.has(k)).toBe(true);
  });
});
