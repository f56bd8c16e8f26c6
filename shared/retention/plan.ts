/**
 * The pruning decision: listing, `_metadata` contents, policy and time in; every key to delete with
 * its reason out. Pure and deterministic. The rules and why each is safe are in docs/state-pruner.md §4.
 */

import { isoTime } from '../iso-time';
import { type NameList, NameSet, nameList } from '../names/name-set';
import {
  type CheckpointDir,
  type Discovery,
  discover,
  isDeletable,
  type JobDir,
  KEEP_MARKER,
  type ListedObject,
  METADATA_FILE,
  type Owner,
  type SavepointDir,
} from './discovery';
import { ListingIndex } from './listing-index';
import type { MetadataReadResult, StateReference, UnreadableMetadata } from './metadata';

export interface PrunePolicy {
  keepCheckpoints: number;
  inactiveAfterMs: number;
  incompleteGraceMs: number;
  sharedMinAgeMs: number;
  savepointsMaxCount: number;
  savepointsMaxAgeMs: number;
}

/** Narrows what may be deleted; references are always taken from the whole listing. */
export interface PruneScope {
  namespace?: string;
  deployment?: string;
}

export type DeleteReason =
  | 'CHECKPOINT_BEYOND_KEEP'
  | 'CHECKPOINT_INACTIVE_JOB'
  | 'CHECKPOINT_INCOMPLETE'
  | 'SAVEPOINT_BEYOND_COUNT'
  | 'SAVEPOINT_TOO_OLD'
  | 'SAVEPOINT_INCOMPLETE'
  | 'SHARED_UNREFERENCED'
  | 'TASKOWNED_UNREFERENCED';

export type SkipReason =
  | 'METADATA_UNREADABLE'
  | 'BLOCKED_BY_UNREADABLE_METADATA'
  | 'REFERENCED_BY_KEPT_METADATA'
  | 'JOB_ACTIVE'
  | 'TOO_RECENT'
  | 'KEEP_MARKER'
  | 'INCOMPLETE_TOO_RECENT'
  | 'NO_COMPLETED_CHECKPOINT';

export interface PlannedDeletion {
  key: string;
  size: number;
  storageClass: string;
  reason: DeleteReason;
  /** The checkpoint, savepoint or job directory the key belongs to. */
  unit: string;
  owner: string;
}

export interface SkippedUnit {
  /** A directory or a key. */
  unit: string;
  owner: string;
  reason: SkipReason;
  detail: string;
  /** Objects and bytes the skip leaves in place. */
  objects: number;
  bytes: number;
}

export interface OwnerSummary {
  owner: string;
  namespace?: string;
  deployment?: string;
  keptCheckpoints: string[];
  deletedCheckpoints: string[];
  keptSavepoints: string[];
  deletedSavepoints: string[];
  deletedObjects: number;
  deletedBytes: number;
  /** Bytes stored by storage class, before the deletions. */
  bytesByClass: Record<string, number>;
}

export interface PrunePlan {
  asOf: string;
  /**
   * Deletions in the order they must happen: the `_metadata` of every checkpoint and savepoint
   * being deleted first, then everything else (docs/state-pruner.md §4.6).
   */
  deletions: PlannedDeletion[];
  /** How many leading entries of `deletions` are `_metadata` objects. */
  metadataDeletions: number;
  skipped: SkippedUnit[];
  unreadable: Array<{ key: string; code: string; message: string }>;
  owners: OwnerSummary[];
  totals: {
    objects: number;
    bytes: number;
    deleteObjects: number;
    deleteBytes: number;
    jobs: number;
    checkpoints: number;
    savepoints: number;
    metadataRead: number;
  };
  unowned: Discovery['unowned'];
  ha: Discovery['ha'];
}

export interface PlanInput {
  objects: readonly ListedObject[];
  /** What reading each `_metadata` key gave; a missing entry counts as unreadable. */
  metadata: ReadonlyMap<string, MetadataReadResult>;
  policy: PrunePolicy;
  now: number;
  /** Prefixes the pruner owns (`ownedPrefixes`). */
  prefixes: readonly string[];
  scope?: PruneScope;
}

/** A unit of deletion: one checkpoint or savepoint directory. */
interface Unit {
  prefix: string;
  owner: Owner;
  metadata?: ListedObject;
  files: ListedObject[];
  kind: 'checkpoint' | 'savepoint';
}

const NOT_READ: UnreadableMetadata = { readable: false, code: 'METADATA_INVALID', message: 'was not read' };

/** Policy, time and scope of one run: what every owner is planned with. */
export interface PlanContext {
  policy: PrunePolicy;
  now: number;
  prefixes: readonly string[];
  scope?: PruneScope | undefined;
}

/**
 * What the first pass over every owner leaves for the second, and all the planner keeps of the whole
 * bucket: the names kept `_metadata` hold, and for each complete unit the policy would delete, its file
 * names and the names its `_metadata` holds, as fingerprints when many (docs/state-pruner.md §4.5). A
 * fingerprint collision can only make a unit or a file look referenced, which keeps it.
 */
export interface BucketAssessment {
  referenced: NameSet;
  dropped: Map<string, { files: NameList; refs: NameList }>;
  /** Units the policy would delete that a kept `_metadata` names: unit → the unit naming it. */
  rescued: Map<string, string>;
  unreadable: Array<{ key: string; code: string; message: string }>;
  counts: { jobs: number; checkpoints: number; savepoints: number; metadataRead: number };
}

export function newAssessment(): BucketAssessment {
  return {
    referenced: new NameSet(),
    dropped: new Map(),
    rescued: new Map(),
    unreadable: [],
    counts: { jobs: 0, checkpoints: 0, savepoints: 0, metadataRead: 0 },
  };
}

/** What one owner's second pass decides. `metadata` must be deleted before `files` (§4.6). */
export interface OwnerPlan {
  metadata: PlannedDeletion[];
  files: PlannedDeletion[];
  skipped: SkippedUnit[];
  owners: OwnerSummary[];
}

/** Plans one pruning run over a whole listing held in memory. Deterministic: the same input gives the same plan. */
export function planPrune(input: PlanInput): PrunePlan {
  const ctx: PlanContext = { policy: input.policy, now: input.now, prefixes: input.prefixes, scope: input.scope };
  const index = new ListingIndex();
  for (const o of input.objects) index.add(o);
  const groups = index.groupByOwner(input.prefixes);
  const assessment = newAssessment();
  const readOf = (key: string) => input.metadata.get(key) ?? NOT_READ;
  for (const dirs of groups.owners.values())
    assessOwner(discover(index.objectsOf(dirs), input.prefixes), readOf, ctx, assessment);
  closeOverReferences(assessment);
  const meta: PlannedDeletion[] = [];
  const files: PlannedDeletion[] = [];
  const skipped: SkippedUnit[] = [];
  const owners: OwnerSummary[] = [];
  for (const dirs of groups.owners.values()) {
    const p = planOwner(discover(index.objectsOf(dirs), input.prefixes), assessment, ctx);
    meta.push(...p.metadata);
    files.push(...p.files);
    skipped.push(...p.skipped);
    owners.push(...p.owners);
  }
  const all = [...sortDeletions(meta), ...sortDeletions(files)];
  return {
    asOf: isoTime(input.now),
    deletions: all,
    metadataDeletions: meta.length,
    skipped,
    unreadable: assessment.unreadable,
    owners: owners.sort((a, b) => (a.owner < b.owner ? -1 : 1)),
    totals: {
      objects: input.objects.length,
      bytes: input.objects.reduce((n, o) => n + o.size, 0),
      deleteObjects: all.length,
      deleteBytes: all.reduce((n, d) => n + d.size, 0),
      ...assessment.counts,
    },
    unowned: groups.unowned,
    ha: groups.ha,
  };
}

function completeUnits(found: Discovery): Unit[] {
  const units: Unit[] = [];
  for (const job of found.jobs)
    for (const c of job.checkpoints)
      if (isComplete(c))
        units.push({ prefix: c.prefix, owner: job.owner, metadata: c.metadata, files: c.files, kind: 'checkpoint' });
  for (const sp of found.savepoints)
    if (isComplete(sp))
      units.push({ prefix: sp.prefix, owner: sp.owner, metadata: sp.metadata, files: sp.files, kind: 'savepoint' });
  return units;
}

/** The policy's decisions for one owner's units, before references are considered (§4.1–4.4). */
function decide(found: Discovery, ctx: PlanContext) {
  const keep = new Map<string, string>(); // unit prefix -> why
  const drop = new Map<string, DeleteReason>();
  for (const job of found.jobs) decideCheckpoints(job, ctx.policy, ctx.now, keep, drop);
  const byOwner = groupBy(found.savepoints, (s) => s.owner.id);
  for (const list of byOwner.values()) decideSavepoints(list, ctx.policy, ctx.now, keep, drop);
  // Units kept by the count and age rules alone: incomplete directories older than all of them are dead.
  const policyKept = new Set(keep.keys());
  const inScope = (o: Owner) =>
    (ctx.scope?.namespace === undefined || o.namespace === ctx.scope.namespace) &&
    (ctx.scope?.deployment === undefined || o.deployment === ctx.scope.deployment);
  return { keep, drop, policyKept, byOwner, inScope };
}

/**
 * First pass, one owner at a time: decides its units by policy, records the names every kept `_metadata`
 * holds, and keeps what the reference closure needs of the units the policy would delete.
 */
export function assessOwner(
  found: Discovery,
  readOf: (key: string) => MetadataReadResult,
  ctx: PlanContext,
  into: BucketAssessment,
): void {
  into.counts.jobs += found.jobs.length;
  into.counts.checkpoints += found.jobs.reduce((n, j) => n + j.checkpoints.length, 0);
  into.counts.savepoints += found.savepoints.length;
  const units = completeUnits(found);
  into.counts.metadataRead += units.length;
  const { drop, inScope } = decide(found, ctx);
  for (const u of units) {
    if (!inScope(u.owner)) drop.delete(u.prefix);
    const r = readOf((u.metadata as ListedObject).key);
    if (!r.readable) {
      into.unreadable.push({ key: (u.metadata as ListedObject).key, code: r.code, message: r.message });
      continue;
    }
    const names = referencedNames(r.references);
    if (!drop.has(u.prefix)) {
      for (const name of names) into.referenced.add(name, u.prefix);
      continue;
    }
    const fileNames = u.files.map((f) => baseName(f.key)).filter((n) => n !== METADATA_FILE && n !== KEEP_MARKER);
    into.dropped.set(u.prefix, { files: nameList(fileNames), refs: nameList(names) });
  }
}

/** Step 2 of §4.5: a unit named by a kept unit's `_metadata` is kept too, until nothing changes. */
export function closeOverReferences(a: BucketAssessment): void {
  for (let changed = true; changed; ) {
    changed = false;
    for (const [prefix, u] of a.dropped) {
      if (a.rescued.has(prefix)) continue;
      const by = a.referenced.firstReferrerOf(u.files, prefix);
      if (by === undefined) continue;
      a.rescued.set(prefix, by);
      a.referenced.addAll(u.refs, prefix);
      changed = true;
    }
  }
}

/** Second pass, one owner at a time: every key of the owner to delete, with its reason, and what stays and why. */
export function planOwner(found: Discovery, a: BucketAssessment, ctx: PlanContext): OwnerPlan {
  const { policy, now } = ctx;
  const { drop, policyKept, byOwner, inScope } = decide(found, ctx);
  const units = completeUnits(found);
  const blocked = a.unreadable.length > 0;
  const unreadableByKey = new Map(a.unreadable.map((u) => [u.key, u]));
  const skipped: SkippedUnit[] = [];
  const referrerOf = (name: string) => a.referenced.referrerOf(name);

  for (const u of units) {
    if (!inScope(u.owner)) drop.delete(u.prefix);
    const by = a.rescued.get(u.prefix);
    if (by !== undefined && drop.delete(u.prefix))
      skipped.push(
        skip(u.prefix, u.owner, 'REFERENCED_BY_KEPT_METADATA', `a file is named by ${by}_metadata`, u.files),
      );
  }

  const plannedMeta: PlannedDeletion[] = [];
  const plannedFiles: PlannedDeletion[] = [];
  const push = (o: ListedObject, reason: DeleteReason, unit: string, owner: Owner) => {
    if (!isDeletable(o.key, ctx.prefixes)) return;
    const entry = {
      key: o.key,
      size: o.size,
      storageClass: o.storageClass ?? 'Standard',
      reason,
      unit,
      owner: owner.id,
    };
    if (o.key === `${unit}${METADATA_FILE}`) plannedMeta.push(entry);
    else plannedFiles.push(entry);
  };

  // Step 3: dropped complete units, incomplete directories, unreferenced shared state.
  for (const u of units) {
    const reason = drop.get(u.prefix);
    if (!reason) continue;
    if (blocked) {
      skipped.push(skip(u.prefix, u.owner, 'BLOCKED_BY_UNREADABLE_METADATA', blockDetail(a.unreadable), u.files));
      continue;
    }
    for (const f of u.files) push(f, reason, u.prefix, u.owner);
  }
  for (const job of found.jobs) {
    const newestComplete = newestCompleted(job);
    const oldestKept = job.checkpoints.find((c) => policyKept.has(c.prefix))?.n ?? Number.POSITIVE_INFINITY;
    for (const c of job.checkpoints) {
      if (isComplete(c)) continue;
      const lastWrite = c.files.reduce((t, f) => Math.max(t, f.lastModified), 0);
      if (newestComplete === undefined || c.n >= newestComplete.n) continue; // maybe in progress
      // Below every kept checkpoint it can only be an aborted or half-deleted one (docs/state-pruner.md §4.3).
      if (now - lastWrite < policy.incompleteGraceMs && c.n >= oldestKept) {
        skipped.push(
          skip(c.prefix, job.owner, 'INCOMPLETE_TOO_RECENT', 'younger than PRUNE_INCOMPLETE_GRACE', c.files),
        );
        continue;
      }
      if (!inScope(job.owner)) continue;
      guardedPush(c.prefix, job.owner, c.files, 'CHECKPOINT_INCOMPLETE');
    }
    sharedState(job);
  }
  for (const list of byOwner.values()) {
    const retained = list.filter((s) => policyKept.has(s.prefix) && !s.keepMarker);
    const oldestRetained =
      retained.length === 0
        ? Number.NEGATIVE_INFINITY
        : Math.min(...retained.map((s) => (s.metadata as ListedObject).lastModified));
    for (const sp of list) {
      if (isComplete(sp) || sp.keepMarker) continue;
      if (now - sp.lastWrite < policy.incompleteGraceMs && sp.lastWrite > oldestRetained) {
        skipped.push(
          skip(sp.prefix, sp.owner, 'INCOMPLETE_TOO_RECENT', 'no _metadata yet; may be in progress', sp.files),
        );
        continue;
      }
      if (!inScope(sp.owner)) continue;
      guardedPush(sp.prefix, sp.owner, sp.files, 'SAVEPOINT_INCOMPLETE');
    }
  }

  function guardedPush(prefix: string, owner: Owner, files: ListedObject[], reason: DeleteReason) {
    if (blocked) {
      skipped.push(skip(prefix, owner, 'BLOCKED_BY_UNREADABLE_METADATA', blockDetail(a.unreadable), files));
      return;
    }
    const by = namedByOther(files, prefix, referrerOf);
    if (by) {
      skipped.push(skip(prefix, owner, 'REFERENCED_BY_KEPT_METADATA', `a file is named by ${by}_metadata`, files));
      return;
    }
    for (const f of files) push(f, reason, prefix, owner);
  }

  function sharedState(job: JobDir) {
    const files = [...job.shared, ...job.taskowned];
    if (files.length === 0 || !inScope(job.owner)) return;
    if (now - job.lastWrite < policy.inactiveAfterMs) {
      skipped.push(
        skip(`${job.prefix}shared/`, job.owner, 'JOB_ACTIVE', 'the job wrote within PRUNE_INACTIVE_AFTER', files),
      );
      return;
    }
    if (blocked) {
      skipped.push(
        skip(`${job.prefix}shared/`, job.owner, 'BLOCKED_BY_UNREADABLE_METADATA', blockDetail(a.unreadable), files),
      );
      return;
    }
    let recent = 0;
    let referenced = 0;
    const left: ListedObject[] = [];
    const taskowned = new Set(job.taskowned);
    for (const f of files) {
      if (now - f.lastModified < policy.sharedMinAgeMs) recent++;
      else if (referrerOf(baseName(f.key)) !== undefined) referenced++;
      else {
        push(f, taskowned.has(f) ? 'TASKOWNED_UNREFERENCED' : 'SHARED_UNREFERENCED', job.prefix, job.owner);
        continue;
      }
      left.push(f);
    }
    if (recent > 0)
      skipped.push(
        skip(
          `${job.prefix}shared/`,
          job.owner,
          'TOO_RECENT',
          `${recent} files younger than PRUNE_SHARED_MIN_AGE`,
          left,
        ),
      );
    else if (referenced > 0)
      skipped.push(
        skip(
          `${job.prefix}shared/`,
          job.owner,
          'REFERENCED_BY_KEPT_METADATA',
          `${referenced} files named by kept _metadata`,
          left,
        ),
      );
  }

  for (const u of units) {
    const r = unreadableByKey.get((u.metadata as ListedObject).key);
    if (r) skipped.push(skip(u.prefix, u.owner, 'METADATA_UNREADABLE', `${r.code}: ${r.message}`, u.files));
  }
  for (const sp of found.savepoints)
    if (sp.keepMarker && !drop.has(sp.prefix))
      skipped.push(skip(sp.prefix, sp.owner, 'KEEP_MARKER', 'holds a _KEEP object', []));

  const metadata = sortDeletions(plannedMeta);
  const files = sortDeletions(plannedFiles);
  return { metadata, files, skipped, owners: summarize(found, [metadata, files], drop, blocked) };
}

/** Keys of every `_metadata` the planner needs read: those of completed checkpoints and savepoints. */
export function metadataKeys(found: Discovery): ListedObject[] {
  const out: ListedObject[] = [];
  for (const job of found.jobs)
    for (const c of job.checkpoints) if (isComplete(c)) out.push(c.metadata as ListedObject);
  for (const sp of found.savepoints) if (isComplete(sp)) out.push(sp.metadata as ListedObject);
  return out;
}

/** A checkpoint or savepoint is complete when it has a non-empty `_metadata` (Flink writes it last). */
export function isComplete(dir: { metadata?: ListedObject }): boolean {
  return dir.metadata !== undefined && dir.metadata.size > 0;
}

function newestCompleted(job: JobDir): CheckpointDir | undefined {
  for (let i = job.checkpoints.length - 1; i >= 0; i--) {
    const c = job.checkpoints[i] as CheckpointDir;
    if (isComplete(c)) return c;
  }
  return undefined;
}

function decideCheckpoints(
  job: JobDir,
  policy: PrunePolicy,
  now: number,
  keep: Map<string, string>,
  drop: Map<string, DeleteReason>,
): void {
  const completed = job.checkpoints.filter(isComplete).reverse(); // newest first
  const active = now - job.lastWrite < policy.inactiveAfterMs;
  const limit = active ? policy.keepCheckpoints : 1;
  completed.forEach((c, i) => {
    if (i < limit) keep.set(c.prefix, i === 0 ? 'newest completed checkpoint' : `one of the newest ${limit}`);
    else drop.set(c.prefix, active ? 'CHECKPOINT_BEYOND_KEEP' : 'CHECKPOINT_INACTIVE_JOB');
  });
}

function decideSavepoints(
  list: SavepointDir[],
  policy: PrunePolicy,
  now: number,
  keep: Map<string, string>,
  drop: Map<string, DeleteReason>,
): void {
  const completed = list
    .filter((s) => isComplete(s))
    .sort(
      (a, b) =>
        (b.metadata as ListedObject).lastModified - (a.metadata as ListedObject).lastModified ||
        (a.prefix < b.prefix ? 1 : -1),
    );
  let counted = 0;
  completed.forEach((s, i) => {
    if (s.keepMarker) {
      keep.set(s.prefix, 'holds a _KEEP object');
      return;
    }
    counted++;
    const age = now - (s.metadata as ListedObject).lastModified;
    if (i === 0) keep.set(s.prefix, 'newest savepoint of its deployment');
    else if (counted > policy.savepointsMaxCount) drop.set(s.prefix, 'SAVEPOINT_BEYOND_COUNT');
    else if (age > policy.savepointsMaxAgeMs) drop.set(s.prefix, 'SAVEPOINT_TOO_OLD');
    else keep.set(s.prefix, `within the newest ${policy.savepointsMaxCount} and PRUNE_SAVEPOINTS_MAX_AGE`);
  });
}

/**
 * Names a `_metadata` makes untouchable: the last path segment of every reference. Matching by name
 * whatever the scheme, bucket, endpoint or mount is deliberate (docs/state-pruner.md §4.5): the same
 * object can be named `oss://bucket/…`, `oss://bucket.endpoint/…` or through a mount, and names are
 * random UUIDs. Inline names are included as well: no file should carry them, and if one does it is
 * ambiguous, so it stays.
 */
export function referencedNames(refs: readonly StateReference[]): Set<string> {
  const out = new Set<string>();
  for (const r of refs) out.add(baseName(r.kind === 'absolute' ? r.uri : r.name));
  return out;
}

function baseName(path: string): string {
  let end = path.length;
  while (end > 0 && path.charCodeAt(end - 1) === 0x2f) end--; // trailing "/"s
  return path.slice(path.lastIndexOf('/', end - 1) + 1, end);
}

function namedByOther(
  files: ListedObject[],
  self: string,
  referrerOf: (name: string) => string | undefined,
): string | undefined {
  for (const f of files) {
    const name = baseName(f.key);
    if (name === METADATA_FILE || name === KEEP_MARKER) continue;
    const by = referrerOf(name);
    if (by !== undefined && by !== self) return by;
  }
  return undefined;
}

function skip(unit: string, owner: Owner, reason: SkipReason, detail: string, files: ListedObject[]): SkippedUnit {
  return { unit, owner: owner.id, reason, detail, objects: files.length, bytes: files.reduce((n, f) => n + f.size, 0) };
}

function blockDetail(unreadable: PrunePlan['unreadable']): string {
  const first = unreadable[0];
  return `${unreadable.length} _metadata could not be read (first: ${first?.key} ${first?.code}); nothing is deleted until every one is readable`;
}

function sortDeletions(list: PlannedDeletion[]): PlannedDeletion[] {
  return list.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

function groupBy<T>(items: readonly T[], key: (t: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const list = out.get(k);
    if (list) list.push(item);
    else out.set(k, [item]);
  }
  return out;
}

function summarize(
  found: Discovery,
  deletions: PlannedDeletion[][],
  drop: Map<string, DeleteReason>,
  blocked: boolean,
): OwnerSummary[] {
  const owners = new Map<string, OwnerSummary>();
  const get = (o: Owner) => {
    let s = owners.get(o.id);
    if (!s) {
      s = {
        owner: o.id,
        ...(o.namespace === undefined ? {} : { namespace: o.namespace }),
        ...(o.deployment === undefined ? {} : { deployment: o.deployment }),
        keptCheckpoints: [],
        deletedCheckpoints: [],
        keptSavepoints: [],
        deletedSavepoints: [],
        deletedObjects: 0,
        deletedBytes: 0,
        bytesByClass: {},
      };
      owners.set(o.id, s);
    }
    return s;
  };
  const gone = (prefix: string) => drop.has(prefix) && !blocked;
  for (const job of found.jobs) {
    const s = get(job.owner);
    for (const c of job.checkpoints) {
      if (!isComplete(c)) continue;
      (gone(c.prefix) ? s.deletedCheckpoints : s.keptCheckpoints).push(c.prefix);
    }
    for (const o of [...job.shared, ...job.taskowned, ...job.checkpoints.flatMap((c) => c.files)]) addClass(s, o);
  }
  for (const sp of found.savepoints) {
    const s = get(sp.owner);
    if (isComplete(sp)) (gone(sp.prefix) ? s.deletedSavepoints : s.keptSavepoints).push(sp.prefix);
    for (const o of sp.files) addClass(s, o);
  }
  for (const d of deletions.flat()) {
    const s = owners.get(d.owner);
    if (!s) continue;
    s.deletedObjects++;
    s.deletedBytes += d.size;
  }
  return [...owners.values()].sort((a, b) => (a.owner < b.owner ? -1 : 1));
}

function addClass(s: OwnerSummary, o: ListedObject): void {
  const c = o.storageClass ?? 'Standard';
  s.bytesByClass[c] = (s.bytesByClass[c] ?? 0) + o.size;
}
