/**
 * One pruning run from start to report: lease, bucket warnings, listing, `_metadata` reads, plan,
 * deletions within the time budget, report. The function handler only parses the event and calls
 * `runPrune`; everything that decides is in `plan.ts` (docs/state-pruner.md §5).
 */
import type { PruneConfig } from '../config';
import { describeError, ValidationError } from '../errors';
import type { FunctionInvoker } from '../fc/invoker';
import { assertNamespace, type BucketLayout } from '../layout';
import type { Logger } from '../log';
import type { ObjectStore } from '../storage/port';
import { type CollectStats, listPrefixes, readAllMetadata } from './collect';
import { discover, type ListedObject, ownedPrefixes } from './discovery';
import { type ExecuteResult, executePlan } from './execute';
import { acquireLease, type Lease } from './lease';
import { metadataKeys, type PrunePlan, type PruneScope, planPrune } from './plan';
import { buildReport, type PruneReport, summarize } from './report';
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
  /** Invokes this function asynchronously, for fan-out per namespace. */
  fanOut?: { invoker: FunctionInvoker; functionName: string };
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
  let plan: PrunePlan | undefined;
  let execution: ExecuteResult | undefined;
  let lease: Lease | undefined;
  let warnings: BucketWarning[] = [];
  let fannedOut: string[] | undefined;
  let failure: unknown;

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
    warnings = await readWarnings(deps, prefixes);

    if (request.executePlan) {
      plan = await loadPlan(deps.store, request.executePlan, startedAt);
    } else {
      const objects = await listPrefixes(deps.store, prefixes, { concurrency: deps.settings.concurrency, stats });
      log.info('listed', { objects: objects.length, requests: stats.listRequests });
      const found = discover(objects, prefixes);
      const metadata = await readAllMetadata(deps.store, metadataKeys(found), {
        concurrency: deps.settings.concurrency,
        stats,
      });
      // A _metadata gone since the listing was a checkpoint Flink itself subsumed: not a reason to stop.
      const gone = new Set([...metadata].filter(([, r]) => !r.readable && r.code === 'METADATA_GONE').map(([k]) => k));
      const live: ListedObject[] = gone.size === 0 ? objects : objects.filter((o) => !gone.has(o.key));
      plan = planPrune({ objects: live, metadata, policy: deps.settings, now: asOf, prefixes, scope });
      if (!dryRun && shouldFanOut(deps, request, plan)) {
        fannedOut = await fanOut(deps, plan, startedAt);
        return await finish();
      }
    }
    if (!dryRun && plan.unreadable.length === 0 && plan.deletions.length > 0)
      execution = await executePlan(deps.store, plan, {
        prefixes,
        stopAt,
        now,
        onBatch: (done, total) => log.info('deleting', { done, total }),
      });
  } catch (error) {
    failure = error;
  }
  const result = await finish();
  if (failure) throw failure;
  return result;

  async function finish(): Promise<PruneRunResult> {
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
    const reportKey = deps.layout.reportKey(TOOL, new Date(startedAt), deps.runId);
    try {
      await deps.store.put(reportKey, JSON.stringify(report), { contentType: 'application/json' });
    } catch (error) {
      log.error('report not written', { error: describeError(error), reportKey });
    }
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
  if (!deps.bucketSettings) return [];
  try {
    const [versioning, rules] = await Promise.all([deps.bucketSettings.versioning(), deps.bucketSettings.lifecycle()]);
    return bucketWarnings(versioning, rules, prefixes);
  } catch (error) {
    deps.logger.warn('bucket versioning and lifecycle could not be read', { error: describeError(error) });
    return [];
  }
}

function shouldFanOut(deps: PruneRunDeps, request: PruneRequest, plan: PrunePlan): boolean {
  const limit = deps.settings.fanoutDeployments;
  if (!deps.fanOut || limit === 0 || request.namespace !== undefined || request.deployment !== undefined) return false;
  return plan.owners.length > limit && new Set(plan.deletions.map((d) => namespaceOf(plan, d.owner))).size > 1;
}

function namespaceOf(plan: PrunePlan, owner: string): string {
  return plan.owners.find((o) => o.owner === owner)?.namespace ?? '_';
}

/**
 * Stores one slice of the plan per namespace and invokes this function once per slice. The slices are
 * disjoint, each keeps the `_metadata`-first order, and each invocation takes its own namespace lease.
 */
async function fanOut(deps: PruneRunDeps, plan: PrunePlan, startedAt: number): Promise<string[]> {
  const nsOf = new Map(plan.owners.map((o) => [o.owner, o.namespace ?? '_']));
  const slices = new Map<string, PrunePlan['deletions']>();
  for (const d of plan.deletions) {
    const ns = nsOf.get(d.owner) ?? '_';
    const list = slices.get(ns) ?? [];
    list.push(d);
    slices.set(ns, list);
  }
  const dir = `${deps.layout.areaPrefix('logs')}_reports/${TOOL}/_plans/${deps.runId}/`;
  const namespaces = [...slices.keys()].sort();
  for (const ns of namespaces) {
    const deletions = slices.get(ns) ?? [];
    const slice: PrunePlan = {
      ...plan,
      deletions,
      metadataDeletions: deletions.filter((d) => d.key.endsWith('/_metadata') && d.key === `${d.unit}_metadata`).length,
      owners: plan.owners.filter((o) => (o.namespace ?? '_') === ns),
      skipped: [],
    };
    const key = `${dir}${ns}.json`;
    await deps.store.put(key, JSON.stringify({ createdAt: startedAt, plan: slice }), {
      contentType: 'application/json',
    });
    const payload: PruneRequest = { executePlan: key, ...(ns === '_' ? {} : { namespace: ns }) };
    await deps.fanOut?.invoker.invokeAsync(deps.fanOut.functionName, JSON.stringify(payload));
    deps.logger.info('handed a namespace to another invocation', { namespace: ns, deletions: deletions.length });
  }
  return namespaces;
}

async function loadPlan(store: ObjectStore, key: string, now: number): Promise<PrunePlan> {
  const body = await store.getBuffer(key);
  if (!body) throw new ValidationError('PLAN_NOT_FOUND', 'executePlan', `no stored plan at ${key}`);
  const stored = JSON.parse(body.toString('utf8')) as { createdAt: number; plan: PrunePlan };
  if (now - stored.createdAt > PLAN_MAX_AGE_MS)
    throw new ValidationError(
      'PLAN_TOO_OLD',
      'executePlan',
      `the plan at ${key} is older than 15 minutes; the next run makes a new one`,
    );
  return stored.plan;
}
