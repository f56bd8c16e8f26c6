import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../shared/config';
import { BucketLayout } from '../../../shared/layout';
import { createLogger } from '../../../shared/log';
import { ownedPrefixes } from '../../../shared/retention/discovery';
import { executePlan } from '../../../shared/retention/execute';
import { acquireLease } from '../../../shared/retention/lease';
import { readMetadata } from '../../../shared/retention/metadata';
import { planPrune } from '../../../shared/retention/plan';
import { runPrune } from '../../../shared/retention/run';
import { StorageError } from '../../../shared/storage/errors';
import { MemoryStore } from '../../../shared/storage/memory-store';
import { writeMetadata } from '../../support/metadata-writer';
import { DAY, uuid } from '../../support/state-tree';

const settings = loadConfig({ OSS_BUCKET: 'mem-bucket', OSS_REGION: 'cn-hangzhou', PRUNE_DRY_RUN: 'false' }).prune;
const silent = createLogger({}, { write: () => {} });
const prefixes = ownedPrefixes('');

/** A store whose clock the test moves: objects are written "in the past", the run happens "now". */
function clockedStore() {
  let t = Date.parse('2026-10-01T00:00:00Z');
  const store = new MemoryStore({ bucket: 'mem-bucket', now: () => new Date(t) });
  return { store, set: (ms: number) => (t = ms), now: () => t };
}

/** One inactive job with `n` checkpoints of `files` exclusive files each, written a month before `now`. */
async function inactiveJob(store: MemoryStore, n: number, files: number): Promise<string> {
  const job = 'flink-jobs/namespaces/ns/deployments/d/checkpoints/jobs/j/00000000000000000000000000000001/';
  for (let c = 1; c <= n; c++) {
    const names = Array.from({ length: files }, (_, i) => uuid(c * 1000 + i));
    for (const name of names) await store.put(`${job}chk-${c}/${name}`, 'x');
    await store.put(`${job}chk-${c}/_metadata`, writeMetadata({ checkpointId: c, relative: names }));
  }
  return job;
}

async function keys(store: MemoryStore): Promise<string[]> {
  const out: string[] = [];
  for await (const page of store.list({})) out.push(...page.objects.map((o) => o.key));
  return out;
}

async function planFor(store: MemoryStore, now: number) {
  const objects = [];
  for await (const page of store.list({}))
    for (const o of page.objects)
      objects.push({ key: o.key, size: o.size, lastModified: o.lastModified.getTime(), storageClass: o.storageClass });
  const metadata = new Map();
  for (const o of objects)
    if (o.key.endsWith('/_metadata')) metadata.set(o.key, readMetadata((await store.getBuffer(o.key)) as Buffer));
  return planPrune({ objects, metadata, policy: settings, now, prefixes });
}

describe('executePlan on the in-memory store', () => {
  it('deletes in batches of at most 1000, every _metadata before any other file', async () => {
    const { store, set, now } = clockedStore();
    const job = await inactiveJob(store, 1202, 1);
    set(now() + 30 * DAY);
    const plan = await planFor(store, now());
    expect(plan.metadataDeletions).toBe(1201);
    expect(plan.deletions).toHaveLength(2402);
    // Stop after the first batch: 1000 _metadata gone, no other file touched yet.
    let checks = 0;
    const first = await executePlan(store, plan, { prefixes, stopAt: 1, now: () => (checks++ === 0 ? 0 : 2) });
    expect(first.batches).toBe(1);
    expect(first.deleted).toHaveLength(1000);
    expect(first.deleted.every((d) => d.key.endsWith('/_metadata'))).toBe(true);
    expect(first.stoppedBy).toBe('TIME_BUDGET');
    expect(first.notAttempted).toBe(1402);
    const left = await keys(store);
    expect(left.filter((k) => !k.endsWith('/_metadata'))).toHaveLength(1202);
    // The next run finishes the job: the half-deleted checkpoints are recognised and go.
    const rest = await executePlan(store, await planFor(store, now()), { prefixes, stopAt: Number.POSITIVE_INFINITY });
    expect(rest.batches).toBe(3); // 201 _metadata, then 1402 files in two batches
    expect((await keys(store)).sort()).toEqual([`${job}chk-1202/${uuid(1202000)}`, `${job}chk-1202/_metadata`].sort());
  });

  it('re-checks every key against the owned prefixes before deleting it', async () => {
    const { store } = clockedStore();
    await store.put('artifacts/namespaces/ns/app.jar', 'x');
    await store.put('flink-jobs/namespaces/ns/deployments/d/ha/x', 'x');
    const forged = {
      ...(await planFor(store, Date.now())),
      deletions: ['artifacts/namespaces/ns/app.jar', 'flink-jobs/namespaces/ns/deployments/d/ha/x'].map((key) => ({
        key,
        size: 1,
        storageClass: 'Standard',
        reason: 'SHARED_UNREFERENCED' as const,
        unit: '',
        owner: '',
      })),
      metadataDeletions: 0,
    };
    const r = await executePlan(store, forged, { prefixes, stopAt: Number.POSITIVE_INFINITY });
    expect(r.deleted).toEqual([]);
    expect(await keys(store)).toHaveLength(2);
  });
});

describe('runPrune on the in-memory store', () => {
  function deps(store: MemoryStore, now: () => number) {
    return { store, layout: new BucketLayout('mem-bucket'), settings, logger: silent, runId: 'r1', now };
  }

  it('does not read a _metadata in Archive storage, and blocks every deletion', async () => {
    const { store, set, now } = clockedStore();
    const job = await inactiveJob(store, 3, 1);
    await store.put(`${job}chk-2/_metadata`, writeMetadata({ relative: [uuid(2000)] }), { storageClass: 'Archive' });
    set(now() + 30 * DAY);
    const r = await runPrune(deps(store, now));
    expect(r.report.outcome).toBe('blocked');
    expect(r.report.unreadable).toEqual([
      { key: `${job}chk-2/_metadata`, code: 'METADATA_ARCHIVED', message: expect.stringMatching(/Archive/) },
    ]);
    expect(r.report.totals.requests.metadataReads).toBe(2);
    expect((await keys(store)).filter((k) => !k.startsWith('logs/'))).toHaveLength(6);
  });

  it('reports cost by storage class and owner, before and after', async () => {
    const { store, set, now } = clockedStore();
    await inactiveJob(store, 3, 1);
    await store.put(
      'flink-jobs/namespaces/ns/deployments/d/checkpoints/jobs/j/00000000000000000000000000000001/shared/big',
      Buffer.alloc(2 * 1024 * 1024),
      { storageClass: 'IA' },
    );
    set(now() + 30 * DAY);
    const r = await runPrune(deps(store, now));
    expect(r.report.outcome).toBe('completed');
    expect(r.report.cost.bytesByClass.IA).toBe(2 * 1024 * 1024);
    expect(r.report.cost.monthlyBefore).toBeGreaterThan(r.report.cost.monthlyAfter);
    const owner = r.report.owners[0];
    expect(owner?.owner).toBe('ns/deployments/d');
    expect(owner?.reclaimedBytes).toBe(r.report.totals.deletedBytes);
    expect(r.report.deleted.find((d) => d.key.endsWith('/big'))).toMatchObject({
      reason: 'SHARED_UNREFERENCED',
      storageClass: 'IA',
    });
  });

  it('warns when the bucket has versioning on or an age-only lifecycle rule over checkpoints', async () => {
    const { store, now } = clockedStore();
    store.setVersioning('Enabled');
    store.setLifecycle([
      { id: 'old-state', prefix: 'flink-jobs/', status: 'Enabled', expiration: { days: 7 }, transitions: [] },
      { id: 'logs', prefix: 'logs/', status: 'Enabled', expiration: { days: 7 }, transitions: [] },
    ]);
    const r = await runPrune(deps(store, now));
    expect(r.report.warnings.map((w) => [w.code, w.ruleId ?? null])).toEqual([
      ['BUCKET_VERSIONING_ENABLED', null],
      ['LIFECYCLE_EXPIRES_STATE', 'old-state'],
    ]);
    expect(r.summary).toMatch(/WARNING LIFECYCLE_EXPIRES_STATE/);
  });

  it('two overlapping runs never both delete', async () => {
    const { store, set, now } = clockedStore();
    await inactiveJob(store, 3, 1);
    set(now() + 30 * DAY);
    const leaseDir = 'logs/_reports/state-pruner/_lease/';
    const ttlMs = settings.timeBudgetMs + 60_000;
    // a starts 10 ms before the end of its slot; c starts 5 ms into the next one, while a's lease lives.
    const slotEnd = (Math.floor(now() / ttlMs) + 1) * ttlMs;
    const a = await acquireLease(store, { dir: leaseDir, holder: 'a', ttlMs, now: slotEnd - 10 });
    const b = await acquireLease(store, { dir: leaseDir, holder: 'b', ttlMs, now: slotEnd - 5 });
    const c = await acquireLease(store, { dir: leaseDir, holder: 'c', ttlMs, now: slotEnd + 5 });
    expect([a.acquired, b.acquired, c.acquired]).toEqual([true, false, false]);
    if (a.acquired) await a.lease.release();
    const d = await acquireLease(store, { dir: leaseDir, holder: 'd', ttlMs, now: slotEnd + 10 });
    expect(d.acquired).toBe(true);
  });

  it('takes a lease whose write landed though its answer was lost, and still refuses a lease held by another', async () => {
    const store = new MemoryStore({ bucket: 'b' });
    const leaseDir = 'logs/_reports/state-pruner/_lease/';
    const lost = new StorageError('OSS_NETWORK', 'PutObject failed: connection reset', { operation: 'PutObject' });
    // The object is stored, then the caller sees an error: what a reset after the server's write looks like.
    const landedThenFailed = new Proxy(store, {
      get(target, name, receiver) {
        if (name === 'put') {
          return async (...args: Parameters<MemoryStore['put']>) => {
            await target.put(...args);
            throw lost;
          };
        }
        const value = Reflect.get(target, name, receiver);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    const a = await acquireLease(landedThenFailed, { dir: leaseDir, holder: 'a', ttlMs: 60_000, now: 1_000 });
    expect(a.acquired).toBe(true);
    if (a.acquired) await a.lease.release();
    expect(await store.head(`${leaseDir}${Math.floor(1_000 / 60_000)}.json`)).toBeUndefined();
    // Someone else's lease in the slot: the lost answer does not make it ours.
    const b = await acquireLease(store, { dir: leaseDir, holder: 'b', ttlMs: 60_000, now: 1_000 });
    const c = await acquireLease(landedThenFailed, { dir: leaseDir, holder: 'c', ttlMs: 60_000, now: 1_000 });
    expect([b.acquired, c.acquired]).toEqual([true, false]);
    // A write that failed without landing is an error, not a lease.
    if (b.acquired) await b.lease.release();
    store.failNext('PutObject');
    await expect(acquireLease(store, { dir: leaseDir, holder: 'd', ttlMs: 60_000, now: 1_000 })).rejects.toMatchObject({
      code: 'OSS_THROTTLED',
    });
  });

  it('a run that cannot read the neighbouring leases gives its own back instead of blocking the next runs', async () => {
    const store = new MemoryStore({ bucket: 'b' });
    const leaseDir = 'logs/_reports/state-pruner/_lease/';
    store.failNext('GetObject');
    await expect(acquireLease(store, { dir: leaseDir, holder: 'a', ttlMs: 60_000, now: 1_000 })).rejects.toMatchObject({
      code: 'OSS_THROTTLED',
    });
    expect(await store.head(`${leaseDir}${Math.floor(1_000 / 60_000)}.json`)).toBeUndefined();
    const b = await acquireLease(store, { dir: leaseDir, holder: 'b', ttlMs: 60_000, now: 2_000 });
    expect(b.acquired).toBe(true);
  });

  it('hands each namespace to its own invocation, which deletes its slice from the stored parts', async () => {
    const { store, set, now } = clockedStore();
    for (const ns of ['ns-a', 'ns-b']) {
      const job = `flink-jobs/namespaces/${ns}/deployments/d/checkpoints/jobs/j/00000000000000000000000000000001/`;
      for (let c = 1; c <= 3; c++) {
        await store.put(`${job}chk-${c}/${uuid(c)}`, 'x');
        await store.put(`${job}chk-${c}/_metadata`, writeMetadata({ checkpointId: c, relative: [uuid(c)] }));
      }
    }
    set(now() + 30 * DAY);
    const invoked: string[] = [];
    const r = await runPrune({
      ...deps(store, now),
      settings: { ...settings, fanoutDeployments: 1 },
      fanOut: {
        functionName: 'state-pruner',
        invoker: {
          invokeAsync: async (name, payload) => {
            expect(name).toBe('state-pruner');
            invoked.push(String(payload));
            return {};
          },
        },
      },
    });
    expect(r.report.outcome).toBe('fanned-out');
    expect(r.report.fannedOut).toEqual(['ns-a', 'ns-b']);
    expect((await keys(store)).filter((k) => k.includes('/chk-'))).toHaveLength(12); // nothing deleted yet
    const requests = invoked.map((p) => JSON.parse(p) as { executePlan: string; namespace: string });
    expect(requests.map((q) => q.namespace)).toEqual(['ns-a', 'ns-b']);
    const a = await runPrune({ ...deps(store, now), runId: 'r2' }, requests[0]);
    expect(a.report).toMatchObject({ outcome: 'completed', totals: { deletedObjects: 4, deletedMetadata: 2 } });
    expect((await keys(store)).filter((k) => k.includes('/ns-b/') && k.includes('/chk-'))).toHaveLength(6);
    await runPrune({ ...deps(store, now), runId: 'r3' }, requests[1]);
    expect((await keys(store)).filter((k) => k.includes('/chk-')).sort()).toEqual(
      ['ns-a', 'ns-b']
        .flatMap((ns) =>
          [`${uuid(3)}`, '_metadata'].map(
            (f) =>
              `flink-jobs/namespaces/${ns}/deployments/d/checkpoints/jobs/j/00000000000000000000000000000001/chk-3/${f}`,
          ),
        )
        .sort(),
    );
  });
});
