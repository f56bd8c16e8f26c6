import { describe, expect, it } from 'vitest';
import { deleteInBatches } from '../../../shared/storage/delete-batches';
import { StorageError } from '../../../shared/storage/errors';

const keys = Array.from({ length: 2500 }, (_, i) => `k/${String(i).padStart(4, '0')}`);

describe('deleteInBatches', () => {
  it('sends batches of 1000 and counts a key deleted only when its batch confirms it', async () => {
    const sizes: number[] = [];
    const result = await deleteInBatches(keys, async (batch) => {
      sizes.push(batch.length);
      return batch.filter((k) => k !== 'k/1500');
    });
    expect(sizes).toEqual([1000, 1000, 500]);
    expect(result.deleted).toHaveLength(2499);
    expect(result.failed).toEqual([
      { key: 'k/1500', code: 'OSS_NOT_CONFIRMED', message: 'OSS did not confirm the deletion' },
    ]);
  });

  it('reports a failed batch key by key and still sends the batches after it', async () => {
    let call = 0;
    const result = await deleteInBatches(keys, async (batch) => {
      call += 1;
      if (call === 2)
        throw new StorageError('OSS_ACCESS_DENIED', 'DeleteMultipleObjects: AccessDenied', {
          operation: 'DeleteMultipleObjects',
        });
      return batch;
    });
    expect(call).toBe(3);
    expect(result.deleted).toEqual([...keys.slice(0, 1000), ...keys.slice(2000)]);
    expect(result.failed.map((f) => f.key)).toEqual(keys.slice(1000, 2000));
    expect(new Set(result.failed.map((f) => f.code))).toEqual(new Set(['OSS_ACCESS_DENIED']));
  });
});
