import { toStorageError } from './errors';
import { DELETE_BATCH_SIZE } from './limits';
import type { DeleteManyResult } from './port';

/**
 * `deleteMany` the same way in every store: batches of DeleteMultipleObjects' 1000 keys, a key counted
 * deleted only when its batch's answer names it, and a batch that fails reported key by key while the
 * next batches still go.
 */
export async function deleteInBatches(
  keys: readonly string[],
  deleteBatch: (batch: string[]) => Promise<Iterable<string>>,
): Promise<DeleteManyResult> {
  const result: DeleteManyResult = { deleted: [], failed: [] };
  for (let i = 0; i < keys.length; i += DELETE_BATCH_SIZE) {
    const batch = keys.slice(i, i + DELETE_BATCH_SIZE);
    try {
      const confirmed = new Set(await deleteBatch(batch));
      for (const key of batch) {
        if (confirmed.has(key)) result.deleted.push(key);
        else result.failed.push({ key, code: 'OSS_NOT_CONFIRMED', message: 'OSS did not confirm the deletion' });
      }
    } catch (error) {
      const e = toStorageError(error, 'DeleteMultipleObjects');
      for (const key of batch) result.failed.push({ key, code: e.code, message: e.message });
    }
  }
  return result;
}
