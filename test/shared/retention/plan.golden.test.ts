import { describe, expect, it } from 'vitest';
import { writeMetadata } from '../../support/metadata-writer';
import { DAY, HOUR, planTree, put, type Tree, uuid } from '../../support/state-tree';

const NOW = Date.parse('2026-11-30T12:00:00Z');
const BUCKET = 'flink-ws';

/** Deleted keys grouped by reason, each list sorted: the golden answer is written by hand below. */
function byReason(plan: ReturnType<typeof planTree>): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const d of plan.deletions) {
    out[d.reason] = out[d.reason] ?? [];
    out[d.reason]?.push(d.key);
  }
  for (const list of Object.values(out)) list.sort();
  return out;
}

describe('Realtime Compute layout: incremental checkpoints, a restored job, savepoints', () => {
  const dep = '2eeb5c2f-1111-4222-8333-444455556666';
  const depPrefix = `flink-jobs/namespaces/team-a/deployments/${dep}/checkpoints/jobs/`;
  const newJob = `${depPrefix}7d1c2b3a-0000-4000-8000-000000000001/7d1c2b3a000040008000000000000001/`;
  const oldJob = `${depPrefix}7d1c2b3a-0000-4000-8000-000000000002/7d1c2b3a000040008000000000000002/`;
  const spBase = `flink-savepoints/namespaces/team-a/deployments/${dep}/`;
  const s = (n: number) => `${newJob}shared/${uuid(n, 1)}`;
  const t = (n: number) => `${oldJob}shared/${uuid(n, 2)}`;
  const e = (n: number) => uuid(n, 3);
  const oss = (key: string) => `oss://${BUCKET}/${key}`;
  const spDir = (i: number) => `${spBase}${uuid(i, 4)}/savepoint-7d1c2b-${(0xa00000000000 + i).toString(16)}/`;

  const tree: Tree = new Map();
  // The old job ran a month ago: chk-10 and chk-11, shared t1..t4 (t4 never referenced).
  const old = NOW - 30 * DAY;
  for (let i = 1; i <= 4; i++) put(tree, t(i), old);
  put(tree, `${oldJob}chk-10/${e(10)}`, old);
  put(tree, `${oldJob}chk-10/_metadata`, old, writeMetadata({ shared: [oss(t(1)), oss(t(2))], relative: [e(10)] }));
  put(tree, `${oldJob}chk-11/${e(11)}`, old + HOUR);
  put(
    tree,
    `${oldJob}chk-11/_metadata`,
    old + HOUR,
    writeMetadata({ shared: [oss(t(2)), oss(t(3))], relative: [e(11)] }),
  );
  // The new job was restored from chk-11 (LEGACY claim mode): its checkpoints name t2 and t3 in the old job's
  // shared/ through another endpoint's URI, and chk-4 also names a file of savepoint 1 (CLAIM restore).
  const minute = 60_000;
  const start = NOW - 2 * DAY;
  const refs: Record<number, string[]> = {
    1: [oss(s(1)), `oss://${BUCKET}.oss-cn-hangzhou-internal.aliyuncs.com/${t(2)}`],
    2: [oss(s(1)), oss(s(2))],
    4: [oss(s(2)), oss(s(4)), oss(t(3)), oss(`${spDir(1)}${uuid(1, 5)}`)],
    5: [oss(s(4)), oss(s(5))],
    6: [oss(s(5)), oss(s(6))],
  };
  for (let n = 1; n <= 6; n++) {
    const at = n === 6 ? NOW - 10 * minute : start + n * HOUR;
    put(tree, s(n), at);
    put(tree, `${newJob}chk-${n}/${e(n)}`, at);
    const r = refs[n];
    if (r)
      put(tree, `${newJob}chk-${n}/_metadata`, at, writeMetadata({ checkpointId: n, shared: r, relative: [e(n)] }));
  }
  put(tree, `${newJob}chk-7/${e(7)}`, NOW - minute); // in progress
  put(tree, `${newJob}taskowned/${uuid(99, 9)}`, NOW - 3 * DAY);

  // Twelve savepoints, one a day; savepoint 1 is named by chk-4, savepoint 2 holds _KEEP.
  for (let i = 1; i <= 12; i++) {
    const at = NOW - (13 - i) * DAY;
    put(tree, `${spDir(i)}${uuid(i, 5)}`, at);
    put(tree, `${spDir(i)}_metadata`, at, writeMetadata({ relative: [uuid(i, 5)] }));
  }
  put(tree, `${spDir(2)}_KEEP`, NOW - 5 * DAY, Buffer.alloc(0));
  put(tree, `${spBase}${uuid(50, 4)}/savepoint-7d1c2b-0000000000ff/${uuid(50, 5)}`, NOW - 3 * DAY); // failed
  // Never touched: HA data, artifacts, logs.
  put(tree, `flink-jobs/namespaces/team-a/deployments/${dep}/ha/job-graph-store/abc`, NOW - 90 * DAY);
  put(tree, `flink-jobs/namespaces/team-a/deployments/${dep}/ha/completedCheckpoint${uuid(1)}`, NOW - 90 * DAY);
  put(tree, 'artifacts/namespaces/team-a/job.jar', NOW - 90 * DAY);

  const plan = planTree(tree, NOW);

  it('deletes exactly what the rules say, with the reason of each', () => {
    expect(plan.unreadable).toEqual([]);
    expect(byReason(plan)).toEqual({
      // Active job keeps chk-4..6 (newest 3 completed); chk-1, chk-2 go; chk-3 never completed.
      CHECKPOINT_BEYOND_KEEP: [
        `${newJob}chk-1/${e(1)}`,
        `${newJob}chk-1/_metadata`,
        `${newJob}chk-2/${e(2)}`,
        `${newJob}chk-2/_metadata`,
      ].sort(),
      CHECKPOINT_INCOMPLETE: [`${newJob}chk-3/${e(3)}`],
      // The inactive old job keeps only chk-11.
      CHECKPOINT_INACTIVE_JOB: [`${oldJob}chk-10/${e(10)}`, `${oldJob}chk-10/_metadata`].sort(),
      // t1 was named only by chk-10; t4 by nobody. t2 and t3 are named by chk-11 and by the new job.
      SHARED_UNREFERENCED: [t(1), t(4)].sort(),
      // 12 savepoints, 10 allowed: the two oldest go, but 1 is named by chk-4 and 2 holds _KEEP;
      // _KEEP does not count, so only savepoint 1 is beyond the count and it is referenced.
      SAVEPOINT_INCOMPLETE: [`${spBase}${uuid(50, 4)}/savepoint-7d1c2b-0000000000ff/${uuid(50, 5)}`],
    });
  });

  it('keeps shared state of the running job, HA data and other areas untouched', () => {
    const keys = new Set(plan.deletions.map((d) => d.key));
    for (let n = 1; n <= 6; n++) expect(keys.has(s(n))).toBe(false);
    expect([...keys].some((k) => k.includes('/ha/') || k.startsWith('artifacts/'))).toBe(false);
    expect(plan.skipped.find((x) => x.unit === `${newJob}shared/`)?.reason).toBe('JOB_ACTIVE');
    expect(plan.skipped.find((x) => x.unit === spDir(1))?.reason).toBe('REFERENCED_BY_KEPT_METADATA');
    expect(plan.ha.count).toBe(2);
  });

  it('orders every _metadata before the other files', () => {
    const firstOther = plan.deletions.findIndex((d) => !d.key.endsWith('/_metadata'));
    expect(plan.metadataDeletions).toBe(3);
    expect(firstOther).toBe(3);
    expect(plan.deletions.slice(3).every((d) => !d.key.endsWith('/_metadata'))).toBe(true);
  });

  it('summarises per deployment', () => {
    const owner = plan.owners.find((o) => o.owner === `team-a/deployments/${dep}`);
    expect(owner?.deletedCheckpoints.sort()).toEqual([`${newJob}chk-1/`, `${newJob}chk-2/`, `${oldJob}chk-10/`].sort());
    expect(owner?.keptSavepoints).toHaveLength(12);
    expect(owner?.deletedObjects).toBe(plan.deletions.length);
  });

  it('with a tighter savepoint count, deletes the oldest unprotected savepoints', () => {
    const tight = planTree(tree, NOW, { policy: { savepointsMaxCount: 5 } });
    const gone = new Set(tight.deletions.filter((d) => d.reason === 'SAVEPOINT_BEYOND_COUNT').map((d) => d.unit));
    // 11 savepoints count (2 has _KEEP); the newest 5 (8..12) stay, 1 is referenced, 3..7 go.
    expect([...gone].sort()).toEqual([3, 4, 5, 6, 7].map(spDir).sort());
  });

  it('deletes nothing at all while one _metadata is unreadable, and says which', () => {
    const broken = new Map(tree);
    const key = `${oldJob}chk-11/_metadata`;
    const original = broken.get(key);
    if (!original) throw new Error('fixture tree lacks the key');
    broken.set(key, { ...original, body: Buffer.from('garbage that is not metadata') });
    const p = planTree(broken, NOW);
    expect(p.deletions).toEqual([]);
    expect(p.unreadable).toEqual([{ key, code: 'METADATA_BAD_MAGIC', message: expect.any(String) }]);
    expect(p.skipped.some((x) => x.reason === 'BLOCKED_BY_UNREADABLE_METADATA')).toBe(true);
  });

  it('narrowed to another namespace, deletes nothing here', () => {
    expect(planTree(tree, NOW, { scope: { namespace: 'team-b' } }).deletions).toEqual([]);
    expect(planTree(tree, NOW, { scope: { namespace: 'team-a', deployment: dep } }).deletions).toHaveLength(
      plan.deletions.length,
    );
  });

  it('as of a future date, says what will go if nothing changes', () => {
    const later = planTree(tree, NOW + 8 * DAY);
    const reasons = new Set(later.deletions.map((d) => d.reason));
    expect(reasons.has('CHECKPOINT_INACTIVE_JOB')).toBe(true);
    expect(later.deletions.some((d) => d.key === `${newJob}chk-5/_metadata`)).toBe(true);
    expect(later.deletions.some((d) => d.key === `${newJob}chk-6/_metadata`)).toBe(false);
  });
});

describe('Ververica Platform layout under a root directory', () => {
  const job =
    'vvp/flink-jobs/namespaces/default/jobs/aaaa0000-0000-4000-8000-000000000001/checkpoints/aaaa0000000040008000000000000001/';
  const tree: Tree = new Map();
  for (let n = 1; n <= 3; n++) {
    put(tree, `${job}chk-${n}/${uuid(n)}`, NOW - 20 * DAY + n * HOUR);
    put(tree, `${job}chk-${n}/_metadata`, NOW - 20 * DAY + n * HOUR, writeMetadata({ relative: [uuid(n)] }));
  }
  put(tree, `flink-jobs/namespaces/default/jobs/x/checkpoints/y/chk-1/_metadata`, NOW - 90 * DAY, writeMetadata({}));

  it('an inactive job keeps its newest checkpoint; keys outside the root directory are not ours', () => {
    const plan = planTree(tree, NOW, { root: 'vvp/' });
    expect(plan.deletions.map((d) => d.key).sort()).toEqual(
      [`${job}chk-1/_metadata`, `${job}chk-1/${uuid(1)}`, `${job}chk-2/_metadata`, `${job}chk-2/${uuid(2)}`].sort(),
    );
    expect(plan.owners.map((o) => o.owner)).toEqual(['default/jobs/aaaa0000-0000-4000-8000-000000000001']);
  });
});

describe('plain Flink under a configured extra prefix', () => {
  const jobA = 'state/checkpoints/0123456789abcdef0123456789abcdef/';
  const flat = 'state/flat/';
  const sp = (i: number) => `state/savepoints/savepoint-012345-${(0xb00000000000 + i).toString(16)}/`;
  const tree: Tree = new Map();
  const at = NOW - 10 * DAY;
  for (let n = 1; n <= 2; n++) {
    const shared = `file:/mnt/flink/checkpoints/0123456789abcdef0123456789abcdef/shared/${uuid(n, 7)}`;
    put(tree, `${jobA}shared/${uuid(n, 7)}`, at);
    put(
      tree,
      `${jobA}chk-${n}/_metadata`,
      at + n,
      writeMetadata({ shared: [shared], absolute: [`file:/mnt/x/chk-${n}/${uuid(n)}`] }),
    );
    put(tree, `${jobA}chk-${n}/${uuid(n)}`, at + n);
  }
  // create-subdir=false: chk-<n> and shared/ sit directly in the configured directory.
  put(tree, `${flat}chk-9/_metadata`, at, writeMetadata({ shared: [`hdfs://nn/flat/shared/${uuid(9, 7)}`] }));
  put(tree, `${flat}shared/${uuid(9, 7)}`, at);
  put(tree, `${flat}shared/${uuid(8, 7)}`, at);
  for (let i = 1; i <= 3; i++) {
    put(tree, `${sp(i)}_metadata`, NOW - (40 - i) * DAY, writeMetadata({ relative: [uuid(i, 6)] }));
    put(tree, `${sp(i)}${uuid(i, 6)}`, NOW - (40 - i) * DAY);
  }
  put(tree, 'state/ha/default/blob/abc', at);

  it('finds both checkpoint shapes and the savepoints, and applies the same rules', () => {
    const plan = planTree(tree, NOW, { extra: ['state/'] });
    expect(byReason(plan)).toEqual({
      CHECKPOINT_INACTIVE_JOB: [`${jobA}chk-1/_metadata`, `${jobA}chk-1/${uuid(1)}`].sort(),
      SHARED_UNREFERENCED: [`${jobA}shared/${uuid(1, 7)}`, `${flat}shared/${uuid(8, 7)}`].sort(),
      // All three are older than 30 days; the newest stays.
      SAVEPOINT_TOO_OLD: [
        `${sp(1)}_metadata`,
        `${sp(1)}${uuid(1, 6)}`,
        `${sp(2)}_metadata`,
        `${sp(2)}${uuid(2, 6)}`,
      ].sort(),
    });
  });

  it('without the extra prefix, touches nothing there', () => {
    expect(planTree(tree, NOW).deletions).toEqual([]);
  });
});

describe('a run stopped between a _metadata and the rest of its directory', () => {
  const job = 'state/checkpoints/0000000000000000000000000000000a/';
  const sp = (i: number) => `state/savepoints/savepoint-000000-${(0xd00000000000 + i).toString(16)}/`;
  const tree: Tree = new Map();
  for (let n = 1; n <= 3; n++) {
    put(tree, `${job}chk-${n}/${uuid(n)}`, NOW - (10 - n) * 60_000);
    put(tree, `${job}chk-${n}/_metadata`, NOW - (10 - n) * 60_000, writeMetadata({ relative: [uuid(n)] }));
    put(tree, `${sp(n)}${uuid(n, 1)}`, NOW - (10 - n) * 60_000);
    put(tree, `${sp(n)}_metadata`, NOW - (10 - n) * 60_000, writeMetadata({ relative: [uuid(n, 1)] }));
  }
  const options = { policy: { keepCheckpoints: 1, savepointsMaxCount: 1 }, extra: ['state/'] };

  it('is finished by the next run even when the directories are minutes old', () => {
    const plan = planTree(tree, NOW, options);
    expect(plan.deletions).toHaveLength(8);
    const killed = new Map(tree);
    for (const d of plan.deletions.slice(0, plan.metadataDeletions)) killed.delete(d.key);
    const next = planTree(killed, NOW, options);
    expect(next.deletions.map((d) => d.key).sort()).toEqual(
      plan.deletions
        .slice(plan.metadataDeletions)
        .map((d) => d.key)
        .sort(),
    );
    expect(new Set(next.deletions.map((d) => d.reason))).toEqual(
      new Set(['CHECKPOINT_INCOMPLETE', 'SAVEPOINT_INCOMPLETE']),
    );
  });

  it('but a directory without _metadata newer than the kept ones waits for the grace period', () => {
    const inProgress = new Map(tree);
    put(inProgress, `${job}chk-4/${uuid(4)}`, NOW - 60_000);
    put(inProgress, `${sp(9)}${uuid(9, 1)}`, NOW - 60_000);
    const plan = planTree(inProgress, NOW, options);
    expect(plan.deletions.some((d) => d.key.includes('chk-4') || d.key.startsWith(sp(9)))).toBe(false);
    expect(plan.skipped.find((s) => s.unit === sp(9))?.reason).toBe('INCOMPLETE_TOO_RECENT');
  });
});
