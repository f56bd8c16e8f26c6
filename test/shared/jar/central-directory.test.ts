import { describe, expect, it } from 'vitest';
import { readCentralDirectory } from '../../../shared/jar/central-directory';
import { bufferSource, cachedSource, withCentralDirectory } from '../../../shared/jar/random-access';
import { buildZip, crc32 } from '../../support/jar-builder';

/** An Info-ZIP Unicode Path extra field (0x7075) naming `name` for the raw name bytes `raw`. */
function unicodePath(raw: Buffer, name: string): Buffer {
  const utf8 = Buffer.from(name, 'utf8');
  const field = Buffer.alloc(4 + 5 + utf8.length);
  field.writeUInt16LE(0x7075, 0);
  field.writeUInt16LE(5 + utf8.length, 2);
  field.writeUInt8(1, 4);
  field.writeUInt32LE(crc32(raw), 5);
  utf8.copy(field, 9);
  return field;
}

describe('readCentralDirectory: entry names', () => {
  it('decodes names the way yauzl does: UTF-8 when flagged, CP437 when not, the Unicode Path field first', async () => {
    const zip = buildZip([
      { name: 'com/example/Job.class', data: 'x' },
      { name: 'plain ASCII without the UTF-8 flag', rawName: Buffer.from('docs/READ ME.txt', 'latin1'), data: 'x' },
      { name: 'données/été.txt', data: 'x' },
      // CP437: 0x81 is ü, 0xE1 is ß.
      { name: 'cp437', rawName: Buffer.from([0x6d, 0x81, 0x6c, 0x6c, 0x65, 0x72, 0xe1]), data: 'x' },
      {
        name: 'unicode path',
        rawName: Buffer.from('caf?.txt', 'latin1'),
        extra: unicodePath(Buffer.from('caf?.txt', 'latin1'), 'café.txt'),
        data: 'x',
      },
    ]);
    const directory = await readCentralDirectory(bufferSource(zip));
    expect(directory.ok).toBe(true);
    expect(directory.entries.map((e) => e.name)).toEqual([
      'com/example/Job.class',
      'docs/READ ME.txt',
      'données/été.txt',
      'müllerß',
      'café.txt',
    ]);
  });

  it('keeps unsafe names (backslash, "..") for the checks instead of failing the read', async () => {
    const zip = buildZip([
      { name: '../evil.sh', data: 'x' },
      { name: 'a\\b.txt', rawName: Buffer.from('a\\b.txt', 'latin1'), data: 'x' },
    ]);
    const directory = await readCentralDirectory(bufferSource(zip));
    expect(directory.ok).toBe(true);
    expect(directory.entries.map((e) => e.name)).toEqual(['../evil.sh', 'a\\b.txt']);
  });
});

describe('readCentralDirectory: a held directory', () => {
  it('walks 60,000 entries served from memory without deep recursion, in two ranged reads', async () => {
    const entries = Array.from({ length: 60_000 }, (_, i) => ({
      name: `p${i % 97}/C${i}.class`,
      method: 'store' as const,
    }));
    const zip = buildZip(entries);
    let requests = 0;
    const source = cachedSource(zip.length, async (start, end) => {
      requests++;
      return zip.subarray(start, end + 1);
    });
    const directory = await readCentralDirectory(await withCentralDirectory(source));
    expect(directory.ok).toBe(true);
    expect(directory.entries).toHaveLength(60_000);
    expect(directory.entries[59_999]?.name).toBe('p53/C59999.class');
    expect(requests).toBe(2);
  });

  it('still stops at the deadline', async () => {
    const zip = buildZip(Array.from({ length: 3000 }, (_, i) => ({ name: `C${i}.class`, method: 'store' as const })));
    const directory = await readCentralDirectory(bufferSource(zip), { deadline: Date.now() - 1 });
    expect(directory.ok).toBe(false);
    expect(!directory.ok && directory.reason).toBe('timeout');
  });
});
