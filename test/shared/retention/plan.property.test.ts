import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../shared/config';
import { BucketLayout } from '../../../shared/layout';
import { createLogger } from '../../../shared/log';
import { discover, isComplete, ownedPrefixes } from '../../../shared/retention';
import { readMetadata } from '../../../shared/retention/metadata';
import { referencedNames } from '../../../shared/retention/plan';
import { runPrune } from '../../../shared/retention/run';
import { MemoryStore } from '../../../shared/storage/memory-store';
import { writeMetadata } from '../../support/metadata-writer';
import { applyDeletions, DAY, HOUR, planTree, put, type Tree, uuid } from '../../support/state-tree';

const NOW = Date.parse('2026-11-30T12:00:00Z');
const EXTRA = ['state/'];

const checkpointSpec = fc.record({
  completed: fc.boolean(),
  newShared: fc.integer({ min: 0, max: 2 }),
  dropShared: fc.integer({ min: 0, max: 3 }),
  exclusive: fc.integer({ min: 0, max: 2 }),
  gapMinutes: fc.constantFrom(1, 2, 5, 10, 90, 1800),
});
const jobSpec = fc.record({
  checkpoints: fc.array(checkpointSpec, { maxLength: 7 }),
  startDaysAgo: fc.constantFrom(0.02, 0.02, 0.05, 1, 10, 40),
  restoredFrom: fc.option(fc.nat(), { nil: undefined }),
  orphans: fc.integer({ min: 0, max: 2 }),
  claimsSavepoint: fc.option(fc.nat(), { nil: undefined }),
});
const savepointSpec = fc.record({
  completed: fc.boolean(),
  keep: fc.boolean(),
  daysAgo: fc.constantFrom(0, 0, 0, 1, 10, 40, 60),
  minutesAgo: fc.integer({ min: 1, max: 200 }),
});
const deploymentSpec = fc.record({
  namespace: fc.constantFrom('team-a', 'team-b'),
  layout: fc.constantFrom('ali', 'vvp', 'plain'),
  jobs: fc.array(jobSpec, { minLength: 1, maxLength: 3 }),
  savepoints: fc.array(savepointSpec, { maxLength: 6 }),
});
const historySpec = fc.record({
  deployments: fc.array(deploymentSpec, { minLength: 1, maxLength: 3 }),
  policy: fc.record({
    keepCheckpoints: fc.integer({ min: 1, max: 4 }),
    savepointsMaxCount: fc.integer({ min: 1, max: 4 }),
    savepointsMaxAgeMs: fc.constantFrom(2 * DAY, 30 * DAY),
    inactiveAfterMs: fc.constantFrom(HOUR, 7 * DAY),
  }),
  corrupt: fc.option(fc.nat(), { nil: undefined }),
});

type History = typeof historySpec extends fc.Arbitrary<infer T> ? T : never;

/** Builds a bucket from a history: monotone checkpoint times, incremental shared files, restores, claims. */
function build(h: History): Tree {
  const tree: Tree = new Map();
  let serial = 0;
  const next = () => uuid(++serial, 11);
  const jobShared: string[][] = [];
  const savepointFiles: string[] = [];
  h.deployments.forEach((d, di) => {
    const dep = `d${di}000000-0000-4000-8000-000000000000`;
    const spBase =
      d.layout === 'plain' ? 'state/savepoints/' : `flink-savepoints/namespaces/${d.namespace}/deployments/${dep}/`;
    d.savepoints.forEach((s, si) => {
      const at = NOW - s.daysAgo * DAY - s.minutesAgo * 60_000;
      const dir = `${spBase}${d.layout === 'plain' ? '' : `${next()}/`}savepoint-d${di}0000-${(0xc00000000000 + si + 10 * di).toString(16)}/`;
      const file = next();
      put(tree, `${dir}${file}`, at);
      savepointFiles.push(`oss://ws/${dir}${file}`);
      if (s.completed) put(tree, `${dir}_metadata`, at, writeMetadata({ relative: [file] }));
      if (s.keep) put(tree, `${dir}_KEEP`, at, Buffer.alloc(0));
    });
    d.jobs.forEach((j, ji) => {
      const hex = `${di}${ji}`.padEnd(32, 'a');
      const jobDir =
        d.layout === 'ali'
          ? `flink-jobs/namespaces/${d.namespace}/deployments/${dep}/checkpoints/jobs/${next()}/${hex}/`
          : d.layout === 'vvp'
            ? `flink-jobs/namespaces/${d.namespace}/jobs/${next()}/checkpoints/${hex}/`
            : `state/checkpoints/${hex}/`;
      let live: string[] = [];
      if (j.restoredFrom !== undefined && jobShared.length > 0) {
        const from = jobShared[j.restoredFrom % jobShared.length] as string[];
        live = from.slice(-2);
      }
      const mine: string[] = [];
      let at = Math.round(NOW - j.startDaysAgo * DAY);
      j.checkpoints.forEach((c, n) => {
        at += c.gapMinutes * 60_000;
        if (at > NOW) at = NOW;
        live = live.slice(Math.min(c.dropShared, live.length));
        for (let k = 0; k < c.newShared; k++) {
          const key = `${jobDir}shared/${next()}`;
          put(tree, key, at);
          live.push(`oss://ws/${key}`);
          mine.push(`oss://ws/${key}`);
        }
        const exclusive = Array.from({ length: c.exclusive }, () => next());
        for (const e of exclusive) put(tree, `${jobDir}chk-${n + 1}/${e}`, at);
        const claim =
          j.claimsSavepoint !== undefined && savepointFiles.length > 0 && n === 0
            ? [savepointFiles[j.claimsSavepoint % savepointFiles.length] as string]
            : [];
        if (c.completed)
          put(
            tree,
            `${jobDir}chk-${n + 1}/_metadata`,
            at,
            writeMetadata({ checkpointId: n + 1, shared: [...live, ...claim], relative: exclusive }),
          );
      });
      for (let k = 0; k < j.orphans; k++) put(tree, `${jobDir}shared/${next()}`, at - DAY);
      put(tree, `${jobDir}taskowned/${next()}`, at - 2 * DAY);
      jobShared.push(mine);
    });
    put(tree, `flink-jobs/namespaces/${d.namespace}/deployments/${dep}/ha/jobgraph-${di}`, NOW - 50 * DAY);
  });
  put(tree, 'artifacts/namespaces/team-a/job.jar', NOW - 90 * DAY);
  put(tree, 'state/ha/default/completedCheckpoint1', NOW - 90 * DAY);
  put(tree, 'logs/team-a/x/y/log.txt', NOW - 90 * DAY);
  if (h.corrupt !== undefined) {
    const metas = [...tree.keys()].filter((k) => k.endsWith('/_metadata'));
    const key = metas[h.corrupt % Math.max(1, metas.length)];
    const o = key ? tree.get(key) : undefined;
    if (key && o?.body) tree.set(key, { ...o, body: o.body.subarray(0, o.body.length - 3) });
  }
  return tree;
}

function run(tree: Tree, policy: History['policy']): Tree {
  return applyDeletions(
    tree,
    planTree(tree, NOW, { policy, extra: EXTRA }).deletions.map((d) => d.key),
  );
}

const prefixes = ownedPrefixes('', EXTRA);
const settings = { numRuns: 150 };

describe('planPrune over random layouts and histories', () => {
  it('keeps the newest completed checkpoint of every job', () => {
    fc.assert(
      fc.property(historySpec, (h) => {
        const tree = build(h);
        const after = run(tree, h.policy);
        for (const job of discover(tree.values(), prefixes).jobs) {
          const newest = job.checkpoints.filter(isComplete).at(-1);
          if (newest) for (const f of newest.files) expect(after.has(f.key), f.key).toBe(true);
        }
      }),
      settings,
    );
  });

  it('keeps every file named by a _metadata that survives', () => {
    fc.assert(
      fc.property(historySpec, (h) => {
        const tree = build(h);
        const after = run(tree, h.policy);
        const byName = new Map([...tree.keys()].map((k) => [k.slice(k.lastIndexOf('/') + 1), k]));
        for (const [key, o] of after) {
          if (!key.endsWith('/_metadata') || !o.body) continue;
          const r = readMetadata(o.body);
          if (!r.readable) continue;
          for (const name of referencedNames(r.references)) {
            const named = byName.get(name);
            if (named) expect(after.has(named), `${named} named by ${key}`).toBe(true);
          }
        }
      }),
      settings,
    );
  });

  it('touches nothing outside the owned prefixes or under ha/, and no _KEEP savepoint', () => {
    fc.assert(
      fc.property(historySpec, (h) => {
        const tree = build(h);
        const plan = planTree(tree, NOW, { policy: h.policy, extra: EXTRA });
        const keepDirs = [...tree.keys()].filter((k) => k.endsWith('/_KEEP')).map((k) => k.slice(0, -5));
        for (const d of plan.deletions) {
          expect(tree.has(d.key)).toBe(true);
          expect(d.key.includes('/ha/') || d.key.startsWith('artifacts/') || d.key.startsWith('logs/')).toBe(false);
          expect(prefixes.some((p) => d.key.startsWith(p))).toBe(true);
          expect(keepDirs.some((k) => d.key.startsWith(k))).toBe(false);
        }
      }),
      settings,
    );
  });

  it('deletes nothing while any _metadata is unreadable', () => {
    fc.assert(
      fc.property(historySpec, (h) => {
        fc.pre(h.corrupt !== undefined);
        const tree = build(h);
        const plan = planTree(tree, NOW, { policy: h.policy, extra: EXTRA });
        if (plan.unreadable.length > 0) expect(plan.deletions).toEqual([]);
      }),
      settings,
    );
  });

  it('a second run right after the first deletes nothing', () => {
    fc.assert(
      fc.property(historySpec, (h) => {
        const after = run(build(h), h.policy);
        expect(planTree(after, NOW, { policy: h.policy, extra: EXTRA }).deletions.map((d) => d.key)).toEqual([]);
      }),
      settings,
    );
  });

  it('a run killed after any number of deletions and run again ends where an uninterrupted run ends', () => {
    fc.assert(
      fc.property(historySpec, fc.nat(), (h, cut) => {
        const tree = build(h);
        const plan = planTree(tree, NOW, { policy: h.policy, extra: EXTRA });
        const full = applyDeletions(
          tree,
          plan.deletions.map((d) => d.key),
        );
        const k = cut % (plan.deletions.length + 1);
        const killed = applyDeletions(
          tree,
          plan.deletions.slice(0, k).map((d) => d.key),
        );
        const resumed = run(killed, h.policy);
        expect([...resumed.keys()].sort()).toEqual([...full.keys()].sort());
      }),
      { numRuns: 300 },
    );
  });
});

/** A store that stops answering after `budget` deletions, part-way through a batch: the process was killed. */
class KilledStore extends MemoryStore {
  constructor(
    private budget: number,
    now: () => Date,
  ) {
    super({ bucket: 'ws-bucket', now });
  }

  override async deleteMany(keys: readonly string[]) {
    if (keys.length <= this.budget) {
      this.budget -= keys.length;
      return super.deleteMany(keys);
    }
    await super.deleteMany(keys.slice(0, this.budget));
    this.budget = Number.POSITIVE_INFINITY; // the next process is not killed
    throw new Error('killed');
  }
}

async function storeFrom(tree: Tree, budget: number): Promise<KilledStore> {
  let at = 0;
  const store = new KilledStore(budget, () => new Date(at));
  for (const o of tree.values()) {
    at = o.lastModified;
    await store.put(o.key, o.body ?? 'x');
  }
  return store;
}

async function stateKeys(store: MemoryStore): Promise<string[]> {
  const out: string[] = [];
  for await (const page of store.list({}))
    for (const o of page.objects) if (!o.key.startsWith('logs/_')) out.push(o.key);
  return out.sort();
}

describe('runPrune streaming owner by owner, in small batches', () => {
  const silent = createLogger({}, { write: () => {} });
  const base = loadConfig({ OSS_BUCKET: 'ws-bucket', OSS_REGION: 'cn-hangzhou', PRUNE_DRY_RUN: 'false' }).prune;
  const prune = (store: MemoryStore, policy: History['policy']) =>
    runPrune({
      store,
      layout: new BucketLayout('ws-bucket'),
      settings: { ...base, ...policy, extraPrefixes: EXTRA },
      logger: silent,
      runId: 'r',
      now: () => NOW,
      // Batches of 2 with at most 3 files held: owners' deletions interleave across batches.
      batching: { size: 2, filesHeld: 3 },
    });

  it('killed after any number of deletions, even inside a batch, and run again, ends where an uninterrupted run ends', async () => {
    await fc.assert(
      fc.asyncProperty(historySpec, fc.nat(), async (h, cut) => {
        const tree = build(h);
        const whole = await storeFrom(tree, Number.POSITIVE_INFINITY);
        const first = await prune(whole, h.policy);
        const expected = await stateKeys(whole);
        expect(expected).toEqual([...run(tree, h.policy).keys()].sort());
        const killed = await storeFrom(tree, cut % (first.report.totals.deletedObjects + 1));
        await prune(killed, h.policy).catch(() => undefined);
        await prune(killed, h.policy);
        expect(await stateKeys(killed)).toEqual(expected);
        // and a run right after deletes nothing
        expect((await prune(killed, h.policy)).report.totals.deletedObjects).toBe(0);
      }),
      { numRuns: 100 },
    );
  }, 120_000);

  it('sends the _metadata of a directory before its files, in batches no larger than asked', async () => {
    await fc.assert(
      fc.asyncProperty(historySpec, async (h) => {
        const tree = build(h);
        const store = await storeFrom(tree, Number.POSITIVE_INFINITY);
        const sent: string[][] = [];
        const deleteMany = store.deleteMany.bind(store);
        store.deleteMany = (keys) => {
          sent.push([...keys]);
          return deleteMany(keys);
        };
        await prune(store, h.policy);
        const order = sent.flat();
        for (const [i, key] of order.entries()) {
          if (key.endsWith('/_metadata')) continue;
          const dir = key.slice(0, key.lastIndexOf('/') + 1);
          // The _metadata of a file's own directory, when it goes, goes before it.
          const meta = order.indexOf(`${dir}_metadata`);
          expect(meta === -1 || meta < i, key).toBe(true);
        }
        expect(sent.every((b) => b.length <= 2)).toBe(true);
      }),
      { numRuns: 100 },
    );
  }, 60_000);
});
