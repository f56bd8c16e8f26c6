import { describe, expect, it } from 'vitest';
import { readCentralDirectory } from '../../../shared/jar/central-directory';
import { cachedSource, withCentralDirectory } from '../../../shared/jar/random-access';
import { buildZip, classFile } from '../../support/jar-builder';

function counted(bytes: Buffer, blockSize: number) {
  const calls: Array<[number, number]> = [];
  const source = cachedSource(
    bytes.length,
    async (start, end) => {
      calls.push([start, end]);
      return bytes.subarray(start, end + 1);
    },
    { blockSize, blocks: 2 },
  );
  return { source, calls };
}

describe('cachedSource', () => {
  it('serves small reads from aligned blocks and large ones with one exact request', async () => {
    const bytes = Buffer.from(Array.from({ length: 1000 }, (_, i) => i & 0xff));
    const { source, calls } = counted(bytes, 100);
    expect([...(await source.read(10, 5))]).toEqual([10, 11, 12, 13, 14]);
    await source.read(20, 30);
    await source.read(95, 10); // spans blocks 0 and 1
    expect(calls).toEqual([
      [0, 99],
      [100, 199],
    ]);
    expect([...(await source.read(300, 250))].slice(0, 2)).toEqual([300 & 0xff, 301 & 0xff]);
    expect(calls.at(-1)).toEqual([300, 549]);
    expect(source.requests).toBe(3);
    await expect(source.read(990, 20)).rejects.toThrow(RangeError);
  });
});

describe('withCentralDirectory', () => {
  it('reads a 5,000-entry central directory in two requests', async () => {
    const entries = Array.from({ length: 5000 }, (_, i) => ({
      name: `com/example/pkg${i % 50}/Class${i}.class`,
      data: classFile(52, 40),
    }));
    const zip = buildZip(entries);
    const { source, calls } = counted(zip, 64 * 1024);
    const directory = await readCentralDirectory(await withCentralDirectory(source));
    expect(directory.ok).toBe(true);
    expect(directory.entries).toHaveLength(5000);
    expect(calls.length).toBe(2);
  });
});
