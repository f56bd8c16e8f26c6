import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { StreamReadAhead } from '../../../shared/jar/read-ahead';

/** A stream of `count` chunks of `size` bytes, chunk i filled with i; records how far it was pulled. */
function chunkStream(count: number, size: number) {
  const state = { pulled: 0, destroyed: false };
  const stream = new Readable({
    highWaterMark: 0,
    read() {
      if (state.pulled === count) this.push(null);
      else this.push(Buffer.alloc(size, state.pulled++));
    },
    destroy(error, callback) {
      state.destroyed = true;
      callback(error);
    },
  });
  return { stream, state };
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 20));

describe('StreamReadAhead', () => {
  it('reads ahead up to its limit, then yields every byte once, in order, and hashes each as it arrives', async () => {
    const { stream, state } = chunkStream(10, 100);
    const seen: number[] = [];
    const ahead = new StreamReadAhead(Promise.resolve(stream), 1000, (b) => seen.push(b[0] as number), 300);
    await settle();
    // Three chunks reach the limit; the stream is not drained while the plan is missing.
    expect(seen).toEqual([0, 1, 2]);
    expect(state.pulled).toBeLessThan(10);
    const out: number[] = [];
    for await (const bytes of ahead.chunks()) out.push(bytes[0] as number, bytes.length);
    expect(out).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9].flatMap((i) => [i, 100]));
    expect(seen).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(ahead.read).toBe(1000);
  });

  it('drops what lies past the object size and stops there', async () => {
    const { stream } = chunkStream(10, 100);
    const ahead = new StreamReadAhead(Promise.resolve(stream), 250, () => {}, 1 << 20);
    const lengths: number[] = [];
    for await (const bytes of ahead.chunks()) lengths.push(bytes.length);
    expect(lengths).toEqual([100, 100, 50]);
    expect(ahead.read).toBe(250);
  });

  it('reports a short stream through `read` and works over a plain array', async () => {
    const ahead = new StreamReadAhead(Promise.resolve([Buffer.alloc(10), Buffer.alloc(5)]), 100, () => {}, 8);
    let total = 0;
    for await (const bytes of ahead.chunks()) total += bytes.length;
    expect(total).toBe(15);
    expect(ahead.read).toBe(15);
  });

  it('close() destroys the stream, also when it opens only afterwards; a failed open is not unhandled', async () => {
    const { stream, state } = chunkStream(10, 100);
    let open!: (s: Readable) => void;
    const ahead = new StreamReadAhead(new Promise((resolve) => (open = resolve)), 1000, () => {}, 300);
    ahead.close();
    open(stream);
    await settle();
    expect(state.destroyed).toBe(true);
    const failed = new StreamReadAhead(Promise.reject(new Error('GET failed')), 10, () => {}, 10);
    failed.close();
    await settle();
    await expect(failed.chunks().next()).rejects.toThrow('GET failed');
  });
});
