/**
 * Carries out deletions as the planner hands them over, owner by owner, in batches of at most 1000 keys,
 * stopping cleanly when the time budget runs out (docs/state-pruner.md §5.2). A file is sent only once
 * every `_metadata` handed over before it is gone, so a run stopped anywhere leaves only directories the
 * next run recognises as incomplete, and that run ends where an uninterrupted one would have.
 */
import type { ObjectStore } from '../storage/port';
import { isDeletable, METADATA_FILE } from './discovery';
import type { PlannedDeletion, PrunePlan } from './plan';

export const DELETE_BATCH = 1000;
/**
 * Files waiting for the `_metadata` handed over before them to fill a batch. Sending files earlier would
 * force a small `_metadata` batch each time; holding this many costs about 5 MiB and adds a few dozen
 * requests at a million objects.
 */
export const FILES_HELD = 20 * DELETE_BATCH;

export interface ExecuteOptions {
  prefixes: readonly string[];
  /** Epoch ms after which no new batch starts. */
  stopAt: number;
  now?: () => number;
  batchSize?: number;
  onBatch?: (done: number) => void;
}

export interface StreamOptions extends ExecuteOptions {
  /** Send nothing: count what a real run would delete, and the batches it would send. */
  dryRun?: boolean;
  /** Called for each key deleted (in a dry run: each key a real run would send). */
  onDeleted?: (d: PlannedDeletion) => void;
  filesHeld?: number;
}

export interface StreamResult {
  deletedObjects: number;
  deletedBytes: number;
  /** How many of the deleted objects are `_metadata`. */
  deletedMetadata: number;
  failed: Array<{ key: string; code: string; message: string }>;
  /** Keys not attempted because time ran out or a `_metadata` could not be deleted. */
  notAttempted: number;
  stoppedBy?: 'TIME_BUDGET' | 'METADATA_DELETE_FAILED';
  /** DeleteMultipleObjects requests sent (in a dry run: that a real run would send). */
  batches: number;
}

export interface ExecuteResult extends StreamResult {
  deleted: PlannedDeletion[];
}

/** True for the `_metadata` of the unit a deletion belongs to: it goes before any other file (§4.6). */
export function isUnitMetadata(d: PlannedDeletion): boolean {
  return d.key === `${d.unit}${METADATA_FILE}`;
}

/** Deletions in, batches out; holds at most one batch of `_metadata` and `filesHeld` files at a time. */
export class DeletionStream {
  private readonly size: number;
  private readonly now: () => number;
  private readonly held: number;
  private meta: PlannedDeletion[] = [];
  private files: PlannedDeletion[] = [];
  private done = 0;
  readonly result: StreamResult = {
    deletedObjects: 0,
    deletedBytes: 0,
    deletedMetadata: 0,
    failed: [],
    notAttempted: 0,
    batches: 0,
  };

  constructor(
    private readonly store: ObjectStore,
    private readonly options: StreamOptions,
  ) {
    this.size = Math.max(1, Math.min(options.batchSize ?? DELETE_BATCH, DELETE_BATCH));
    this.now = options.now ?? Date.now;
    this.held = Math.max(options.filesHeld ?? FILES_HELD, this.size);
  }

  /** Hands over deletions in plan order; sends every batch that is full. */
  async push(deletions: readonly PlannedDeletion[]): Promise<void> {
    if (this.result.stoppedBy) {
      this.result.notAttempted += deletions.length;
      return;
    }
    for (const d of deletions) (isUnitMetadata(d) ? this.meta : this.files).push(d);
    while (this.meta.length >= this.size && !this.result.stoppedBy) await this.send(this.meta, true);
    if (this.files.length < this.held) return;
    while (this.meta.length > 0 && !this.result.stoppedBy) await this.send(this.meta, true);
    while (this.files.length >= this.size && !this.result.stoppedBy) await this.send(this.files, false);
  }

  /** Sends what is left, `_metadata` first. */
  async finish(): Promise<StreamResult> {
    while (this.meta.length > 0 && !this.result.stoppedBy) await this.send(this.meta, true);
    while (this.files.length > 0 && !this.result.stoppedBy) await this.send(this.files, false);
    return this.result;
  }

  private stop(reason: NonNullable<StreamResult['stoppedBy']>): void {
    this.result.stoppedBy = reason;
    this.result.notAttempted += this.meta.length + this.files.length;
    this.meta = [];
    this.files = [];
  }

  private async send(queue: PlannedDeletion[], metadata: boolean): Promise<void> {
    if (!this.options.dryRun && this.now() >= this.options.stopAt) return this.stop('TIME_BUDGET');
    const batch = queue.splice(0, this.size);
    // The planner already guards every key; checked again here because this is the line that deletes.
    const safe = batch.filter((d) => isDeletable(d.key, this.options.prefixes));
    const gone = this.options.dryRun
      ? undefined
      : await this.store.deleteMany(safe.map((d) => d.key)).then(({ deleted, failed }) => {
          this.result.failed.push(...failed);
          return { deleted: new Set(deleted), failed: failed.length };
        });
    for (const d of safe) {
      if (gone && !gone.deleted.has(d.key)) continue;
      this.result.deletedObjects++;
      this.result.deletedBytes += d.size;
      if (metadata) this.result.deletedMetadata++;
      this.options.onDeleted?.(d);
    }
    this.result.batches++;
    this.done += batch.length;
    this.options.onBatch?.(this.done);
    // A checkpoint whose _metadata is still there must keep all its files: stop before any file goes.
    if (metadata && gone && gone.failed > 0) this.stop('METADATA_DELETE_FAILED');
  }
}

/** Deletes what an in-memory `plan` lists, `_metadata` objects strictly before the rest. */
export async function executePlan(
  store: ObjectStore,
  plan: Pick<PrunePlan, 'deletions'>,
  options: ExecuteOptions,
): Promise<ExecuteResult> {
  const deleted: PlannedDeletion[] = [];
  const stream = new DeletionStream(store, { ...options, onDeleted: (d) => deleted.push(d) });
  await stream.push(plan.deletions);
  return { ...(await stream.finish()), deleted };
}
