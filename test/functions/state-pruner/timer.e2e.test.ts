import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../shared/config';
import type { PruneReport } from '../../../shared/retention/report';
import { AliOssStore } from '../../../shared/storage';
import { startTestStack, type TestStack } from '../../support/local-stack';
import { writeMetadata } from '../../support/metadata-writer';
import { uuid } from '../../support/state-tree';

/**
 * The built state-pruner bundle on the local stack, invoked as its hourly timer invokes it, over a tree
 * written "in the past" with the local OSS server's clock (docs/local-oss-server.md "Clock"), so that every
 * age rule meets objects that really are old by Last-Modified. Default policy: 3 checkpoints, inactive
 * after 7 days, savepoints up to 30 days.
 */
let stack: TestStack;
let store: AliOssStore;

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const dep = (d: string) => `flink-jobs/namespaces/team-a/deployments/${d}/checkpoints/jobs/j-${d}/`;
/** Stopped 36 days ago: keeps only its newest checkpoint and the shared files that one names. */
const stopped = `${dep('d1')}0000000000000000000000000000000e/`;
/** Running: checkpoints within the last hours, one in progress. */
const running = `${dep('d2')}0000000000000000000000000000000f/`;
const sp = (i: number) =>
  `flink-savepoints/namespaces/team-a/deployments/d1/${uuid(i, 3)}/savepoint-00000e-${(0xe00000000000 + i).toString(16)}/`;
const ha = 'flink-jobs/namespaces/team-a/deployments/d1/ha/job-graph';
const jar = 'artifacts/namespaces/team-a/app.jar';

/** Runs `write` with the server's clock `ageMs` in the past. */
async function writtenAgo(ageMs: number, write: () => Promise<unknown>): Promise<void> {
  stack.oss.clock.setOffset(-ageMs);
  try {
    await write();
  } finally {
    stack.oss.clock.setOffset(0);
  }
}

const written: string[] = [];
async function put(key: string, body: Buffer | string = 'x'): Promise<void> {
  await store.put(key, body);
  written.push(key);
}

beforeAll(async () => {
  stack = await startTestStack({ PRUNE_DRY_RUN: 'false' });
  const s = stack.settings;
  store = new AliOssStore({
    config: loadConfig({
      OSS_BUCKET: s.bucket,
      OSS_REGION: 'cn-hangzhou',
      OSS_ENDPOINT: stack.ossEndpoint,
      OSS_PATH_STYLE: 'true',
    }).oss,
    credentials: () => ({ accessKeyId: s.accessKeyId, accessKeySecret: s.accessKeySecret }),
  });
  const oss = (key: string) => `oss://${s.bucket}/${key}`;
  // The stopped job: checkpoint n written 41 - n days ago, each naming the shared files of n-1 and n.
  await writtenAgo(40 * DAY, () => put(`${stopped}shared/${uuid(99, 1)}`)); // named by nothing
  for (let n = 1; n <= 5; n++)
    await writtenAgo((41 - n) * DAY, async () => {
      await put(`${stopped}shared/${uuid(n, 1)}`);
      await put(`${stopped}chk-${n}/${uuid(n, 2)}`);
      const shared = [n - 1, n].filter((i) => i > 0).map((i) => oss(`${stopped}shared/${uuid(i, 1)}`));
      await put(`${stopped}chk-${n}/_metadata`, writeMetadata({ checkpointId: n, shared, relative: [uuid(n, 2)] }));
    });
  // The running job: checkpoints 1-4 written 4 h to 1 h ago; checkpoint 5 in progress (no _metadata yet).
  for (let n = 1; n <= 4; n++)
    await writtenAgo((5 - n) * HOUR, async () => {
      const shared = `${running}shared/${uuid(n, 5)}`;
      await put(shared);
      await put(`${running}chk-${n}/${uuid(n, 6)}`);
      await put(
        `${running}chk-${n}/_metadata`,
        writeMetadata({ checkpointId: n, shared: [oss(shared)], relative: [uuid(n, 6)] }),
      );
    });
  await put(`${running}chk-5/${uuid(5, 6)}`);
  // Savepoints of d1: 60 and 45 days old (past PRUNE_SAVEPOINTS_MAX_AGE), 5 days old, and a 90-day-old one with _KEEP.
  for (const [i, days] of [
    [1, 60],
    [2, 45],
    [3, 5],
    [4, 90],
  ] as const)
    await writtenAgo(days * DAY, async () => {
      await put(`${sp(i)}${uuid(i, 4)}`);
      await put(`${sp(i)}_metadata`, writeMetadata({ relative: [uuid(i, 4)] }));
      if (i === 4) await put(`${sp(i)}_KEEP`, '');
    });
  await writtenAgo(100 * DAY, async () => {
    await put(ha);
    await put(jar);
  });
}, 120_000);

afterAll(async () => {
  await stack?.close();
});

async function listed(prefix: string): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for await (const page of store.list({ prefix }))
    for (const o of page.objects) out.set(o.key, o.lastModified.getTime());
  return out;
}

async function report(key: string): Promise<PruneReport> {
  return JSON.parse((await store.getBuffer(key))?.toString('utf8') ?? '{}') as PruneReport;
}

/** What the timer run must delete, with the reason each key goes for. */
const expectedDeletions = new Map<string, string>([
  ...[1, 2, 3, 4].flatMap((n) => [
    [`${stopped}chk-${n}/${uuid(n, 2)}`, 'CHECKPOINT_INACTIVE_JOB'] as const,
    [`${stopped}chk-${n}/_metadata`, 'CHECKPOINT_INACTIVE_JOB'] as const,
  ]),
  ...[1, 2, 3, 99].map((n) => [`${stopped}shared/${uuid(n, 1)}`, 'SHARED_UNREFERENCED'] as const),
  [`${running}chk-1/${uuid(1, 6)}`, 'CHECKPOINT_BEYOND_KEEP'],
  [`${running}chk-1/_metadata`, 'CHECKPOINT_BEYOND_KEEP'],
  ...[1, 2].flatMap((i) => [
    [`${sp(i)}${uuid(i, 4)}`, 'SAVEPOINT_TOO_OLD'] as const,
    [`${sp(i)}_metadata`, 'SAVEPOINT_TOO_OLD'] as const,
  ]),
]);

describe('state-pruner bundle on the local stack, over a tree aged with the server clock', () => {
  it('sees the tree as old as it was written', async () => {
    const times = await listed('');
    const age = (key: string) => Date.now() - (times.get(key) as number);
    expect(age(`${stopped}chk-1/_metadata`)).toBeGreaterThan(40 * DAY - HOUR);
    expect(age(`${stopped}chk-5/_metadata`)).toBeGreaterThan(36 * DAY - HOUR);
    expect(age(`${stopped}chk-5/_metadata`)).toBeLessThan(36 * DAY + HOUR);
    expect(age(`${running}chk-4/_metadata`)).toBeLessThan(2 * HOUR);
    expect(age(`${sp(4)}_KEEP`)).toBeGreaterThan(89 * DAY);
  });

  it('a plan as of 40 days later is a dry run that shows what age will take, and deletes nothing', async () => {
    const asOf = new Date(Date.now() + 40 * DAY).toISOString();
    const result = await stack.runtime.invoke('state-pruner', { dryRun: true, asOf });
    expect(result.error).toBeUndefined();
    const out = JSON.parse(result.payload.toString()) as { outcome: string; reportKey: string };
    expect(out.outcome).toBe('dry-run');
    const r = await report(out.reportKey);
    const reasons = new Map(r.deleted.map((d) => [d.key, d.reason]));
    // By then the running job has stopped too: it keeps only checkpoint 4, and its old shared files go.
    expect(reasons.get(`${running}chk-3/_metadata`)).toBe('CHECKPOINT_INACTIVE_JOB');
    expect(reasons.get(`${running}shared/${uuid(1, 5)}`)).toBe('SHARED_UNREFERENCED');
    expect(reasons.get(`${sp(3)}_metadata`)).toBeUndefined(); // the newest savepoint always stays
    expect([...(await listed('')).keys()].filter((k) => written.includes(k))).toHaveLength(written.length);
  });

  it('the hourly timer event deletes exactly what the age and count rules allow, and reports why', async () => {
    const result = await stack.runtime.invoke('state-pruner', {
      triggerTime: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
      triggerName: 'hourly',
      payload: '',
    });
    expect(result.error).toBeUndefined();
    const out = JSON.parse(result.payload.toString()) as { outcome: string; reportKey: string; deletedObjects: number };
    expect(out).toMatchObject({ outcome: 'completed', deletedObjects: expectedDeletions.size });
    expect(out.reportKey).toMatch(/^logs\/_reports\/state-pruner\/\d{4}\/\d{2}\/\d{2}\//);

    const left = new Set((await listed('')).keys());
    for (const key of written) expect(left.has(key), key).toBe(!expectedDeletions.has(key));
    // What must stay, spelled out: the stopped job's newest checkpoint and the shared files it names, the
    // running job's shared state and newest three checkpoints and the one in progress, the newest
    // savepoint, the _KEEP one, HA data and artifacts.
    for (const key of [
      `${stopped}chk-5/_metadata`,
      `${stopped}shared/${uuid(4, 1)}`,
      `${stopped}shared/${uuid(5, 1)}`,
      `${running}shared/${uuid(1, 5)}`,
      `${running}chk-2/_metadata`,
      `${running}chk-5/${uuid(5, 6)}`,
      `${sp(3)}_metadata`,
      `${sp(4)}_metadata`,
      `${sp(4)}_KEEP`,
      ha,
      jar,
    ])
      expect(left.has(key), key).toBe(true);

    const r = await report(out.reportKey);
    expect(new Map(r.deleted.map((d) => [d.key, d.reason]))).toEqual(expectedDeletions);
    expect(r.totals.deletedMetadata).toBe(4 + 1 + 2);
    expect(r.totals.requests.deleteBatches).toBe(2); // every _metadata, then the rest
    const skipped = new Map(r.skipped.map((s) => [s.unit, s.reason]));
    expect(skipped.get(`${running}shared/`)).toBe('JOB_ACTIVE');
    expect(skipped.get(sp(4))).toBe('KEEP_MARKER');
    expect(r.owners.map((o) => o.owner).sort()).toEqual(['team-a/deployments/d1', 'team-a/deployments/d2']);
    const summary = stack.output.map((l) => l.text).find((t) => t.includes('state-pruner completed'));
    expect(summary).toMatch(new RegExp(`deleted ${expectedDeletions.size} objects`));
  });

  it('a second timer run right after deletes nothing', async () => {
    const result = await stack.runtime.invoke('state-pruner', {
      triggerTime: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
      triggerName: 'hourly',
      payload: '',
    });
    expect(JSON.parse(result.payload.toString())).toMatchObject({ outcome: 'completed', deletedObjects: 0 });
  });

  it('a malformed event is answered with a clear error and deletes nothing', async () => {
    const result = await stack.runtime.invoke('state-pruner', { dryrun: true });
    expect(JSON.parse(result.payload.toString())).toMatchObject({ error: { code: 'EVENT_INVALID' } });
  });
});
