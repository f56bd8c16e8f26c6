import { describe, expect, it } from 'vitest';
import { type Capture, SequentialScanner } from '../../../shared/jar/sequential-scan';

const bytes = Buffer.from(Array.from({ length: 100 }, (_, i) => i));

function run(chunk: number, planned: Capture[]) {
  const s = new SequentialScanner(planned);
  for (let i = 0; i < bytes.length; i += chunk) s.push(bytes.subarray(i, i + chunk));
  s.end();
}

describe('SequentialScanner', () => {
  it('delivers overlapping planned ranges across chunk boundaries; one past the end gets undefined', () => {
    for (const chunk of [1, 7, 100]) {
      const got: Array<number[] | undefined> = [];
      run(chunk, [
        { start: 10, length: 3, done: (b) => got.push(b && [...b]) },
        { start: 11, length: 2, done: (b) => got.push(b && [...b]) },
        { start: 98, length: 5, done: (b) => got.push(b && [...b]) },
      ]);
      expect(got).toEqual([[10, 11, 12], [11, 12], undefined]);
    }
  });

  it('add(): a range after the current position is served, one already passed gets undefined', () => {
    const got: Array<number[] | undefined> = [];
    const s = new SequentialScanner([
      {
        start: 10,
        length: 2,
        done: () => {
          s.add({ start: 20, length: 3, done: (b) => got.push(b && [...b]) });
          s.add({ start: 12, length: 0, done: (b) => got.push(b && [...b]) });
        },
      },
      { start: 50, length: 1, done: () => s.add({ start: 5, length: 1, done: (b) => got.push(b && [...b]) }) },
    ]);
    for (let i = 0; i < bytes.length; i += 9) s.push(bytes.subarray(i, i + 9));
    s.end();
    expect(got).toEqual([[], [20, 21, 22], undefined]);
  });

  it('makes each planned capture only when the stream reaches it', () => {
    const starts = [3, 3, 40, 90];
    const made: number[] = [];
    const got: Array<number[] | undefined> = [];
    const s = new SequentialScanner({
      count: starts.length,
      startOf: (i) => starts[i] as number,
      captureAt: (i) => {
        made.push(i);
        return { start: starts[i] as number, length: 2, done: (b) => got.push(b && [...b]) };
      },
    });
    s.push(bytes.subarray(0, 30));
    expect(made).toEqual([0, 1]);
    s.push(bytes.subarray(30, 60));
    expect(made).toEqual([0, 1, 2]);
    s.end();
    expect(made).toEqual([0, 1, 2, 3]);
    expect(got).toEqual([[3, 4], [3, 4], [40, 41], undefined]);
  });
});
