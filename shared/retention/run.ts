/**
 * One pruning run from start to report: lease, bucket warnings, listing, `_metadata` reads, plan,
 * deletions within the time budget, report. The function handler only parses the event and calls
 * `runPrune`; everything that decides is in `plan.ts` (docs/state-pruner.md §5).
 */
import type { PruneConfig } from '../config';
import { describeError, ValidationError } from '../errors';
import type { FunctionInvoker } from '../fc/invoker';
import { isoTime } from '../iso-time';
import { assertNamespace, type BucketLayout } from '../layout';
import type { Logger } from '../log';
import type { ObjectStore } from '../storage/port';
import { type CollectStats, listPrefixes, mapLimit, readAllMetadata } from './collect';
import { DeletedLog } from './deleted-log';
import { discover, ownedPrefixes } from './discovery';
import { DeletionStream } from './execute';
import { acquireLease, type Lease } from './lease';
import { ListingIndex, type OwnerGroups } from './listing-index';
import type { MetadataReadResult } from './metadata';
import {
  assessOwner,
  type BucketAssessment,
  closeOverReferences,
  metadataKeys,
  newAssessment,
  type OwnerSummary,
  type PlanContext,
  type PlannedDeletion,
  type PruneScope,
  planOwner,
  type SkippedUnit,
} from './plan';
import {
  buildReport,
  type OwnerDeleted,
  type PlanSummary,
  type PruneReport,
  type RunExecution,
  summarize,
} from './report';
import { type BucketWarning, bucketWarnings, type LifecycleRuleView } from './warnings';

export const TOOL = 'state-pruner';
/** Stop this long before FC's deadline, whatever the budget: writing the report and releasing the lease take time. */
export const DEADLINE_MARGIN_MS = 30_000;
/** A plan handed to another invocation is not carried out when older than this. */
export const PLAN_MAX_AGE_MS = 15 * 60_000;

/** What a caller (timer payload, manual event, fan-out) may ask of a run. */
export interface PruneRequest {
  /** Only ever turns a real run into a dry run: the environment decides whether deleting is allowed. */
  dryRun?: boolean;
  namespace?: string;
  deployment?: string;
  /** Plan as of this time (ISO 8601), not earlier than now; a run as of a future time never deletes. */
  asOf?: string;
  /** Carry out the part of a plan another run stored at this key (fan-out). */
  executePlan?: string;
}

/** Bucket-level settings the warnings need; absent where the store cannot read them. */
export interface BucketSettingsReader {
  versioning(): Promise<string | undefined>;
  lifecycle(): Promise<LifecycleRuleView[]>;
}

export interface PruneRunDeps {
  store: ObjectStore;
  layout: BucketLayout;
  settings: PruneConfig;
  logger: Logger;
  runId: string;
  now?: () => number;
  /** FC's deadline for this invocation (epoch ms); Infinity outside FC. */
  deadline?: number;
  bucketSettings?: BucketSettingsReader;
  /** Smaller delete batches and fewer held files than OSS allows, so tests can stop a run between batches. */
  batching?: { size: number; filesHeld: number };
  /** Invokes this function asynchronously, for fan-out per namespace. */
  fanOut?: { invoker: FunctionInvoker; functionName: string };
  /**
   * Work run at the same time as the report's write, given the finished report: the invocation's audit
   * trail, which would otherwise cost one more round trip after the report.
   */
  alongsideReport?: (report: PruneReport, reportKey: string) => Promise<unknown>;
}

export interface PruneRunResult {
  report: PruneReport;
  reportKey: string;
  summary: string;
}

/** Runs the pruner once. Never throws for bad `_metadata`; rethrows storage failures after writing the report. */
export async function runPrune(deps: PruneRunDeps, request: PruneRequest = {}): Promise<PruneRunResult> {
  const now = deps.now ?? Date.now;
  const startedAt = now();
  const scope = checkScope(request);
  const asOf = checkAsOf(request.asOf, startedAt);
  const dryRun = deps.settings.dryRun || request.dryRun === true || asOf > startedAt;
  const prefixes = ownedPrefixes(deps.layout.root, deps.settings.extraPrefixes);
  const stats: CollectStats = { listRequests: 0, metadataReads: 0, metadataBytes: 0 };
  const stopAt = Math.min(startedAt + deps.settings.timeBudgetMs, (deps.deadline ?? Infinity) - DEADLINE_MARGIN_MS);
  const log = deps.logger;
  let plan: PlanSummary | undefined;
  let execution: RunExecution | undefined;
  let lease: Lease | undefined;
  let warningsRead: Promise<BucketWarning[]> | undefined;
  let fannedOut: string[] | undefined;
  let failure: unknown;
  const reportKey = deps.layout.reportKey(TOOL, new Date(startedAt), deps.runId);
  const deletedLog = new DeletedLog(deps.store, reportKey.replace(/\.json$/, '.deleted'));
  const byOwner = new Map<string, OwnerDeleted>();
  const stream = new DeletionStream(deps.store, {
    prefixes,
    stopAt,
    now,
    dryRun,
    ...(deps.batching ? { batchSize: deps.batching.size, filesHeld: deps.batching.filesHeld } : {}),
    onDeleted: (d) => {
      deletedLog.add(d);
      countDeleted(byOwner, d);
    },
    onBatch: (done) => {
      if (!dryRun) log.info('deleting', { done });
    },
  });

  try {
    if (!dryRun) {
      const leaseDir = `${deps.layout.areaPrefix('logs')}_reports/${TOOL}/_lease/${request.executePlan ? `${scope.namespace ?? '_'}/` : ''}`;
      const got = await acquireLease(deps.store, {
        dir: leaseDir,
        holder: deps.runId,
        ttlMs: deps.settings.timeBudgetMs + 2 * DEADLINE_MARGIN_MS,
        now: startedAt,
      });
      if (!got.acquired) {
        log.warn('another run holds the lease; this one does nothing', { heldBy: got.heldBy });
        return await finish();
      }
      lease = got.lease;
    }
    // Only the report needs them: read while the bucket is listed, not before.
    warningsRead = readWarnings(deps, prefixes);

    if (request.executePlan) {
      plan = await executeStoredPlan(deps.store, request.executePlan, startedAt, stream);
    } else {
      const index = new ListingIndex();
      await listPrefixes(deps.store, prefixes, index, { concurrency: deps.settings.concurrency, stats });
      log.info('listed', { objects: index.count, requests: stats.listRequests });
      const groups = index.groupByOwner(prefixes);
      const ctx: PlanContext = { policy: deps.settings, now: asOf, prefixes, scope };
      const assessment = await assessBucket(deps, index, groups, ctx, stats);
      const slices =
        !dryRun && shouldFanOut(deps, request, groups.owners.size) ? new PlanSlices(deps, startedAt) : undefined;
      plan = await planBucket(index, groups, assessment, ctx, async (deletions, namespace) => {
        if (slices) return slices.add(namespace, deletions);
        await stream.push(deletions);
        await deletedLog.settled();
      });
      if (slices) {
        fannedOut = await slices.handOut(plan);
        return await finish();
      }
    }
    await stream.finish();
  } catch (error) {
    failure = error;
  }
  const result = await finish();
  if (failure) throw failure;
  return result;

  async function finish(): Promise<PruneRunResult> {
    const warnings = (await warningsRead) ?? [];
    await deletedLog.flush();
    for (const e of deletedLog.errors) log.error('a part of the deleted-keys list was not written', { error: e });
    if (!fannedOut && (plan || stream.result.batches > 0))
      execution = { ...stream.result, deleted: deletedLog.inline, deletedParts: deletedLog.parts, byOwner };
    const report = buildReport(plan, execution, {
      runId: deps.runId,
      bucket: deps.store.bucket,
      startedAt,
      finishedAt: now(),
      dryRun,
      scope,
      pricePerGbMonth: deps.settings.pricePerGbMonth,
      requests: {
        list: stats.listRequests,
        metadataReads: stats.metadataReads,
        deleteBatches: execution?.batches ?? 0,
      },
      warnings,
      ...(failure ? { error: describeError(failure) } : {}),
      ...(fannedOut ? { fannedOut } : {}),
    });
    const written = deps.store
      .put(reportKey, JSON.stringify(report), { contentType: 'application/json' })
      .catch((error: unknown) => log.error('report not written', { error: describeError(error), reportKey }));
    await Promise.all([written, deps.alongsideReport?.(report, reportKey)]);
    try {
      await lease?.release();
    } catch (error) {
      log.warn('lease not released; it expires on its own', { error: describeError(error) });
    }
    const summary = summarize(report);
    log.info(summary, { reportKey, outcome: report.outcome });
    return { report, reportKey, summary };
  }
}

function checkScope(request: PruneRequest): PruneScope {
  const scope: PruneScope = {};
  if (request.namespace !== undefined) {
    assertNamespace(request.namespace);
    scope.namespace = request.namespace;
  }
  if (request.deployment !== undefined) {
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/.test(request.deployment))
      throw new ValidationError(
        'DEPLOYMENT_INVALID',
        'deployment',
        `deployment "${request.deployment}" is not a deployment id`,
      );
    scope.deployment = request.deployment;
  }
  return scope;
}

function checkAsOf(asOf: string | undefined, now: number): number {
  if (asOf === undefined) return now;
  const t = Date.parse(asOf);
  if (!Number.isFinite(t) || !/^\d{4}-\d{2}-\d{2}/.test(asOf))
    throw new ValidationError('AS_OF_INVALID', 'asOf', `asOf "${asOf}" is not an ISO 8601 date such as 2026-12-01`);
  // A plan as of the past would delete what a real run now must keep (younger than its safety windows).
  if (t < now - 60_000)
    throw new ValidationError('AS_OF_IN_PAST', 'asOf', `asOf ${asOf} is in the past; plans look forward only`);
  return Math.max(t, now);
}

async function readWarnings(deps: PruneRunDeps, prefixes: string[]): Promise<BucketWarning[]> {
  const settings = deps.bucketSettings ?? {
    versioning: () => deps.store.getVersioning(),
    lifecycle: () => deps.store.getLifecycle(),
  };
  try {
    const [versioning, rules] = await Promise.all([settings.versioning(), settings.lifecycle()]);
    return bucketWarnings(versioning, rules, prefixes);
  } catch (error) {
    deps.logger.warn('bucket versioning and lifecycle could not be read', { error: describeError(error) });
    return [];
  }
}

/**
 * First pass: reads each owner's `_metadata` (owners side by side, `PRUNE_CONCURRENCY` reads in flight)
 * and records what the plan needs of the whole bucket. Owners are assessed in order, whatever order their
 * reads finish in, so that the same bucket gives the same report.
 */
async function assessBucket(
  deps: PruneRunDeps,
  index: ListingIndex,
  groups: OwnerGroups,
  ctx: PlanContext,
  stats: CollectStats,
): Promise<BucketAssessment> {
  const assessment = newAssessment();
  const owners = [...groups.owners.values()];
  // PRUNE_CONCURRENCY reads in flight in all: lanes left over when there are fewer owners go to each
  // owner's own `_metadata` files.
  const perOwner = Math.max(1, Math.floor(deps.settings.concurrency / Math.max(1, owners.length)));
  const ready = new Map<number, () => void>();
  let next = 0;
  const commit = () => {
    for (let step = ready.get(next); step; step = ready.get(next)) {
      ready.delete(next++);
      step();
    }
  };
  await mapLimit(
    owners.map((dirs, i) => ({ dirs, i })),
    deps.settings.concurrency,
    async ({ dirs, i }) => {
      // Only the keys wait for the reads: the owner's objects are looked at again once they are done, so
      // that nothing of them outlives this owner.
      const keys = metadataKeys(discover(index.objectsOf(dirs), ctx.prefixes));
      const metadata = await readAllMetadata(deps.store, keys, { concurrency: perOwner, stats });
      // A _metadata gone since the listing was a checkpoint Flink itself subsumed: not a reason to stop.
      for (const [key, r] of metadata) if (!r.readable && r.code === 'METADATA_GONE') index.remove(key);
      ready.set(i, () =>
        assessOwner(
          discover(index.objectsOf(dirs), ctx.prefixes),
          (key) => metadata.get(key) ?? NOT_READ,
          ctx,
          assessment,
        ),
      );
      commit();
    },
  );
  closeOverReferences(assessment);
  return assessment;
}

const NOT_READ: MetadataReadResult = { readable: false, code: 'METADATA_INVALID', message: 'was not read' };

/**
 * Second pass: plans each owner and hands its deletions on (to be deleted, counted, or stored for another
 * invocation) before looking at the next; returns the plan without its deletions.
 */
async function planBucket(
  index: ListingIndex,
  groups: OwnerGroups,
  assessment: BucketAssessment,
  ctx: PlanContext,
  handOn: (deletions: PlannedDeletion[], namespace: string) => Promise<void>,
): Promise<PlanSummary> {
  const skipped: SkippedUnit[] = [];
  const owners: OwnerSummary[] = [];
  let deleteObjects = 0;
  let deleteBytes = 0;
  for (const dirs of groups.owners.values()) {
    const p = planOwner(discover(index.objectsOf(dirs), ctx.prefixes), assessment, ctx);
    skipped.push(...p.skipped);
    owners.push(...p.owners);
    const deletions = [...p.metadata, ...p.files];
    if (deletions.length === 0) continue;
    deleteObjects += deletions.length;
    for (const d of deletions) deleteBytes += d.size;
    await handOn(deletions, p.owners[0]?.namespace ?? '_');
  }
  return {
    asOf: isoTime(ctx.now),
    skipped,
    unreadable: assessment.unreadable,
    owners: owners.sort((a, b) => (a.owner < b.owner ? -1 : 1)),
    totals: { objects: index.count, bytes: index.bytes, deleteObjects, deleteBytes, ...assessment.counts },
    unowned: groups.unowned,
    ha: groups.ha,
  };
}

function countDeleted(byOwner: Map<string, OwnerDeleted>, d: PlannedDeletion): void {
  let o = byOwner.get(d.owner);
  if (!o) {
    o = { objects: 0, bytes: 0, byClass: {} };
    byOwner.set(d.owner, o);
  }
  o.objects++;
  o.bytes += d.size;
  o.byClass[d.storageClass] = (o.byClass[d.storageClass] ?? 0) + d.size;
}

function shouldFanOut(deps: PruneRunDeps, request: PruneRequest, owners: number): boolean {
  const limit = deps.settings.fanoutDeployments;
  if (!deps.fanOut || limit === 0 || request.namespace !== undefined || request.deployment !== undefined) return false;
  return owners > limit;
}

/** Deletions per stored part of a plan slice. */
const SLICE_PART = 20_000;

/** What a fanned-out invocation loads: its namespace's share of the plan, the deletions in parts. */
interface StoredSlice {
  createdAt: number;
  plan: PlanSummary;
  parts: string[];
}

/**
 * Stores one slice of the plan per namespace, its deletions in parts as they are planned, and invokes
 * this function once per slice. The slices are disjoint, each keeps the planned order, and each
 * invocation takes its own namespace lease (docs/state-pruner.md §5.4).
 */
class PlanSlices {
  private readonly dir: string;
  private readonly pending = new Map<string, PlannedDeletion[]>();
  private readonly parts = new Map<string, string[]>();

  constructor(
    private readonly deps: PruneRunDeps,
    private readonly startedAt: number,
  ) {
    this.dir = `${deps.layout.areaPrefix('logs')}_reports/${TOOL}/_plans/${deps.runId}/`;
  }

  async add(namespace: string, deletions: PlannedDeletion[]): Promise<void> {
    const list = this.pending.get(namespace) ?? [];
    list.push(...deletions);
    this.pending.set(namespace, list);
    if (list.length >= SLICE_PART) await this.writePart(namespace);
  }

  async handOut(plan: PlanSummary): Promise<string[]> {
    for (const ns of this.pending.keys()) if ((this.pending.get(ns)?.length ?? 0) > 0) await this.writePart(ns);
    const namespaces = [...this.parts.keys()].sort();
    for (const ns of namespaces) {
      const slice: StoredSlice = {
        createdAt: this.startedAt,
        plan: { ...plan, owners: plan.owners.filter((o) => (o.namespace ?? '_') === ns), skipped: [] },
        parts: this.parts.get(ns) ?? [],
      };
      const key = `${this.dir}${ns}.json`;
      await this.deps.store.put(key, JSON.stringify(slice), { contentType: 'application/json' });
      const payload: PruneRequest = { executePlan: key, ...(ns === '_' ? {} : { namespace: ns }) };
      await this.deps.fanOut?.invoker.invokeAsync(this.deps.fanOut.functionName, JSON.stringify(payload));
      this.deps.logger.info('handed a namespace to another invocation', { namespace: ns, parts: slice.parts.length });
    }
    return namespaces;
  }

  private async writePart(namespace: string): Promise<void> {
    const deletions = this.pending.get(namespace) ?? [];
    this.pending.set(namespace, []);
    const parts = this.parts.get(namespace) ?? [];
    const key = `${this.dir}${namespace}/${String(parts.length + 1).padStart(5, '0')}.json`;
    await this.deps.store.put(key, JSON.stringify({ deletions }), { contentType: 'application/json' });
    parts.push(key);
    this.parts.set(namespace, parts);
  }
}

/** Carries out a slice another run stored: its parts in order, through the same stream. */
async function executeStoredPlan(
  store: ObjectStore,
  key: string,
  now: number,
  stream: DeletionStream,
): Promise<PlanSummary> {
  const stored = await readJson<StoredSlice>(store, key);
  if (now - stored.createdAt > PLAN_MAX_AGE_MS)
    throw new ValidationError(
      'PLAN_TOO_OLD',
      'executePlan',
      `the plan at ${key} is older than 15 minutes; the next run makes a new one`,
    );
  for (const part of stored.parts)
    await stream.push((await readJson<{ deletions: PlannedDeletion[] }>(store, part)).deletions);
  return stored.plan;
}

async function readJson<T>(store: ObjectStore, key: string): Promise<T> {
  const body = await store.getBuffer(key);
  if (!body) throw new ValidationError('PLAN_NOT_FOUND', 'executePlan', `no stored plan at ${key}`);
  return JSON.parse(body.toString('utf8')) as T;
}
