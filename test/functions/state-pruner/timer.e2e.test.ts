import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../shared/config';
import type { PruneReport } from '../../../shared/retention/report';
import { AliOssStore } from '../../../shared/storage';
import { startTestStack, type TestStack } from '../../support/local-stack';
import { writeMetadata } from '../../support/metadata-writer';
import { uuid } from '../../support/state-tree';

/**
 * The built state-pruner bundle on the local stack, invoked as its hourly timer invokes it. The local OSS
 * server stamps writes with the current time, so the tree is fresh: the count rules (newest 2 checkpoints,
 * 1 savepoint) delete for real, and a plan as of 40 days later shows what age will remove.
 */
let stack: TestStack;
let store: AliOssStore;

const job = 'flink-jobs/namespaces/team-a/deployments/d1/checkpoints/jobs/j1/0000000000000000000000000000000e/';
const sp = (i: number) =>
  `flink-savepoints/namespaces/team-a/deployments/d1/${uuid(i, 3)}/savepoint-00000e-${(0xe00000000000 + i).toString(16)}/`;

beforeAll(async () => {
  stack = await startTestStack({
    PRUNE_DRY_RUN: 'false',
    PRUNE_KEEP_CHECKPOINTS: '2',
    PRUNE_SAVEPOINTS_MAX_COUNT: '1',
  });
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
  for (let n = 1; n <= 5; n++) {
    const shared = `${job}shared/${uuid(n, 1)}`;
    await store.put(shared, 'x');
    await store.put(`${job}chk-${n}/${uuid(n, 2)}`, 'x');
    await store.put(
      `${job}chk-${n}/_metadata`,
      writeMetadata({ checkpointId: n, shared: [oss(shared)], relative: [uuid(n, 2)] }),
    );
  }
  for (let i = 1; i <= 3; i++) {
    await store.put(`${sp(i)}${uuid(i, 4)}`, 'x');
    await store.put(`${sp(i)}_metadata`, writeMetadata({ relative: [uuid(i, 4)] }));
    await new Promise((r) => setTimeout(r, 1100)); // savepoints are ordered by their _metadata's time (1 s resolution)
  }
}, 60_000);

afterAll(async () => {
  await stack?.close();
});

async function keys(prefix: string): Promise<string[]> {
  const out: string[] = [];
  for await (const page of store.list({ prefix })) out.push(...page.objects.map((o) => o.key));
  return out.sort();
}

async function report(key: string): Promise<PruneReport> {
  return JSON.parse((await store.getBuffer(key))?.toString('utf8') ?? '{}') as PruneReport;
}

describe('state-pruner bundle on the local stack', () => {
  it('a plan as of 40 days later is a dry run that shows what age will take', async () => {
    const asOf = new Date(Date.now() + 40 * 86_400_000).toISOString();
    const result = await stack.runtime.invoke('state-pruner', { dryRun: true, asOf });
    expect(result.error).toBeUndefined();
    const out = JSON.parse(result.payload.toString()) as { outcome: string; reportKey: string };
    expect(out.outcome).toBe('dry-run');
    const r = await report(out.reportKey);
    const reasons = new Set(r.deleted.map((d) => d.reason));
    expect(reasons).toEqual(new Set(['CHECKPOINT_INACTIVE_JOB', 'SHARED_UNREFERENCED', 'SAVEPOINT_BEYOND_COUNT']));
    expect(await keys('flink-')).toHaveLength(5 * 3 + 3 * 2);
  });

  it('the hourly timer event deletes what the count rules allow, _metadata first, and reports it', async () => {
    const result = await stack.runtime.invoke('state-pruner', {
      triggerTime: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
      triggerName: 'hourly',
      payload: '',
    });
    expect(result.error).toBeUndefined();
    const out = JSON.parse(result.payload.toString()) as { outcome: string; reportKey: string; deletedObjects: number };
    expect(out).toMatchObject({ outcome: 'completed', deletedObjects: 3 * 2 + 2 * 2 });
    expect(out.reportKey).toMatch(/^logs\/_reports\/state-pruner\/\d{4}\/\d{2}\/\d{2}\//);
    expect(await keys(job)).toEqual(
      [
        ...[1, 2, 3, 4, 5].map((n) => `${job}shared/${uuid(n, 1)}`), // the job is active: its shared/ is Flink's
        `${job}chk-4/${uuid(4, 2)}`,
        `${job}chk-4/_metadata`,
        `${job}chk-5/${uuid(5, 2)}`,
        `${job}chk-5/_metadata`,
      ].sort(),
    );
    expect(await keys('flink-savepoints/')).toEqual([`${sp(3)}${uuid(3, 4)}`, `${sp(3)}_metadata`].sort());
    const r = await report(out.reportKey);
    expect(r.owners[0]?.owner).toBe('team-a/deployments/d1');
    const summary = stack.output.map((l) => l.text).find((t) => t.includes('state-pruner completed'));
    expect(summary).toMatch(/deleted 10 objects/);
  });

  it('a malformed event is answered with a clear error and deletes nothing', async () => {
    const result = await stack.runtime.invoke('state-pruner', { dryrun: true });
    expect(JSON.parse(result.payload.toString())).toMatchObject({ error: { code: 'EVENT_INVALID' } });
  });
});
