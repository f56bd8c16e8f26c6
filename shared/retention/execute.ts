/**
 * Carries out a plan: every `_metadata` first, in batches of at most 1000 keys, then the other files,
 * stopping cleanly when the time budget runs out (docs/state-pruner.md §5). What is left is found again
 * by the next run's plan, which ends where an uninterrupted run would have.
 */
import type { ObjectStore } from '../storage/port';
import { isDeletable } from './discovery';
import type { PlannedDeletion, PrunePlan } from './plan';

export const DELETE_BATCH = 1000;

export interface ExecuteOptions {
  prefixes: readonly string[];
  /** Epoch ms after which no new batch starts. */
  stopAt: number;
  now?: () => number;
  batchSize?: number;
  onBatch?: (done: number, total: number) => void;
}

export interface ExecuteResult {
  deleted: PlannedDeletion[];
  failed: Array<{ key: string; code: string; message: string }>;
  /** Keys not attempted because time ran out or a `_metadata` could not be deleted. */
  notAttempted: number;
  stoppedBy?: 'TIME_BUDGET' | 'METADATA_DELETE_FAILED';
  batches: number;
}

/** Deletes what `plan` lists, `_metadata` objects strictly before the rest. */
export async function executePlan(
  store: ObjectStore,
  plan: PrunePlan,
  options: ExecuteOptions,
): Promise<ExecuteResult> {
  const now = options.now ?? Date.now;
  const size = Math.min(options.batchSize ?? DELETE_BATCH, DELETE_BATCH);
  const result: ExecuteResult = { deleted: [], failed: [], notAttempted: 0, batches: 0 };
  const phases = [plan.deletions.slice(0, plan.metadataDeletions), plan.deletions.slice(plan.metadataDeletions)];
  let done = 0;
  for (const [phase, list] of phases.entries()) {
    for (let i = 0; i < list.length; i += size) {
      if (now() >= options.stopAt) {
        result.stoppedBy = 'TIME_BUDGET';
        result.notAttempted = plan.deletions.length - done;
        return result;
      }
      const batch = list.slice(i, i + size);
      // The planner already guards every key; checked again here because this is the line that deletes.
      const safe = batch.filter((d) => isDeletable(d.key, options.prefixes));
      const { deleted, failed } = await store.deleteMany(safe.map((d) => d.key));
      const gone = new Set(deleted);
      for (const d of safe) if (gone.has(d.key)) result.deleted.push(d);
      result.failed.push(...failed);
      result.batches++;
      done += batch.length;
      options.onBatch?.(done, plan.deletions.length);
      if (phase === 0 && failed.length > 0) {
        // A checkpoint whose _metadata is still there must keep all its files: stop before any file goes.
        result.stoppedBy = 'METADATA_DELETE_FAILED';
        result.notAttempted = plan.deletions.length - done;
        return result;
      }
    }
  }
  return result;
}
