import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type MetadataReadResult, readMetadata } from '../../../shared/retention/metadata';

const FIXTURES = join(import.meta.dirname, '../../fixtures/flink-metadata');

interface Expected {
  version: number;
  relative: Set<string>;
  absolute: Set<string>;
  inline: Set<string>;
}

/**
 * What the fixtures README says each `_metadata` holds. The README was written from the files with an
 * independent byte scan, so it is an oracle the reader under test did not produce.
 */
function expectations(): Map<string, Expected> {
  const text = readFileSync(join(FIXTURES, 'README.md'), 'utf8');
  const out = new Map<string, Expected>();
  for (const section of text.split(/^### /m).slice(1)) {
    const name = /^`([^`]+)`/.exec(section)?.[1];
    const version = /header version \*\*(\d+)\*\*/.exec(section)?.[1];
    if (!name || !version) continue;
    const exp: Expected = { version: Number(version), relative: new Set(), absolute: new Set(), inline: new Set() };
    const blocks = section.split(/^(Relative file references|Absolute file references|Inline handle names)/m);
    for (let i = 1; i < blocks.length; i += 2) {
      const kind = blocks[i] as string;
      const body = /```\n([\s\S]*?)```/.exec(blocks[i + 1] as string)?.[1] ?? '';
      const names = body
        .split('\n')
        .map((l) => l.replace(/\s+\(x\d+\)$/, '').trim())
        .filter(Boolean);
      const target = kind.startsWith('Relative')
        ? exp.relative
        : kind.startsWith('Absolute')
          ? exp.absolute
          : exp.inline;
      for (const n of names) target.add(n);
    }
    out.set(name, exp);
  }
  return out;
}

function metadataPath(dir: string): string {
  const direct = join(FIXTURES, dir, '_metadata');
  if (existsSync(direct)) return direct;
  const chk = readdirSync(join(FIXTURES, dir)).find((d) => d.startsWith('chk-'));
  return join(FIXTURES, dir, chk ?? '', '_metadata');
}

const expected = expectations();
const fixtureNames = [...expected.keys()];

describe('readMetadata on real Flink files', () => {
  it('the README describes all 13 fixtures', () => {
    expect(fixtureNames).toHaveLength(13);
    expect(new Set(fixtureNames.map((n) => expected.get(n)?.version))).toEqual(new Set([1, 2, 3, 4]));
  });

  it.each(fixtureNames)('%s: reads every file reference the README lists, and nothing else as a file', (name) => {
    const exp = expected.get(name) as Expected;
    const bytes = readFileSync(metadataPath(name));
    const result = readMetadata(bytes);
    if (!result.readable) throw new Error(`${name} unreadable: ${result.code} ${result.message}`);
    expect(result.version).toBe(exp.version);

    const relative = new Set(result.references.filter((r) => r.kind === 'relative').map((r) => r.name));
    const absolute = new Set(result.references.filter((r) => r.kind === 'absolute').map((r) => r.uri));
    const inline = new Set(result.references.filter((r) => r.kind === 'inline').map((r) => r.name));
    expect(relative).toEqual(exp.relative);
    expect(absolute).toEqual(exp.absolute);
    // The README's byte scan lists path- or UUID-named inline handles; every path-named one is inline here,
    // never a file (a grep for paths would wrongly keep or delete by them).
    for (const n of exp.inline) {
      if (n.includes('/')) expect(inline.has(n), n).toBe(true);
      expect(absolute.has(n)).toBe(false);
    }
  });

  it.each(fixtureNames)(
    '%s: every relative reference is a sibling file and every sibling file is referenced',
    (name) => {
      const path = metadataPath(name);
      const dir = join(path, '..');
      const result = readMetadata(readFileSync(path)) as Extract<MetadataReadResult, { readable: true }>;
      const siblings = new Set(readdirSync(dir).filter((f) => f !== '_metadata' && f !== 'README.md'));
      const relative = new Set(result.references.filter((r) => r.kind === 'relative').map((r) => r.name));
      expect(relative).toEqual(siblings);
    },
  );

  it('the Flink 1.12 incremental checkpoint names its three shared/ files by absolute URI, and they exist', () => {
    const dir = 'flink1.12-v3-beam-rocksdb-incremental-checkpoint';
    const result = readMetadata(readFileSync(metadataPath(dir)));
    if (!result.readable) throw new Error(result.message);
    const shared = result.references
      .filter((r) => r.kind === 'absolute')
      .map((r) => (r as { uri: string }).uri.split('/').slice(-2).join('/'));
    expect(shared.sort()).toEqual(readdirSync(join(FIXTURES, dir, 'shared')).map((f) => `shared/${f}`));
    const inlineShared = result.references.filter((r) => r.kind === 'inline' && r.name.includes('/shared/'));
    expect(inlineShared.length).toBeGreaterThan(0);
  });

  it('reads the savepoint kind and format from version 4 properties', () => {
    const r = readMetadata(readFileSync(metadataPath('flink1.16-v4-rocksdb-native-savepoint')));
    expect(r.readable && r.properties).toEqual(expect.arrayContaining(['NATIVE', 'Savepoint']));
  });
});

const all = fixtureNames.map((n) => ({ name: n, bytes: readFileSync(metadataPath(n)) }));
const small = all.filter((f) => f.bytes.length < 12_000);

describe('readMetadata on damaged files', () => {
  it('rejects every truncation of the small fixtures as unreadable, without throwing', () => {
    expect(small.length).toBeGreaterThanOrEqual(6);
    const allowed = new Set(['METADATA_EMPTY', 'METADATA_TRUNCATED', 'METADATA_INVALID', 'METADATA_UNKNOWN_HANDLE']);
    let checked = 0;
    for (const { name, bytes } of small) {
      for (let n = 0; n < bytes.length; n++) {
        const r = readMetadata(bytes.subarray(0, n));
        if (r.readable) throw new Error(`${name} truncated to ${n} bytes was read as complete`);
        if (!allowed.has(r.code)) throw new Error(`${name} truncated to ${n} bytes: unexpected ${r.code}`);
        checked++;
      }
    }
    expect(checked).toBe(small.reduce((n, f) => n + f.bytes.length, 0));
  });

  it('rejects random truncations of every fixture', () => {
    fc.assert(
      fc.property(fc.constantFrom(...all), fc.nat(), (f, at) => {
        const r = readMetadata(f.bytes.subarray(0, at % f.bytes.length));
        expect(r.readable).toBe(false);
      }),
      { numRuns: 300 },
    );
  });

  it('rejects trailing garbage', () => {
    fc.assert(
      fc.property(fc.constantFrom(...all), fc.uint8Array({ minLength: 1, maxLength: 64 }), (f, tail) => {
        const r = readMetadata(Buffer.concat([f.bytes, tail]));
        expect(r).toMatchObject({ readable: false, code: 'METADATA_TRAILING_BYTES' });
      }),
      { numRuns: 200 },
    );
  });

  it('never throws on flipped bytes and answers with a stable code when it cannot read them', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...all),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), {
          minLength: 1,
          maxLength: 4,
        }),
        (f, flips) => {
          const copy = Buffer.from(f.bytes);
          for (const [at, x] of flips) {
            const i = at % copy.length;
            copy[i] = (copy[i] as number) ^ x;
          }
          const r = readMetadata(copy);
          expect(typeof r.readable).toBe('boolean');
          if (!r.readable) expect(r.code).toMatch(/^METADATA_[A-Z_]+$/);
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('rejects unknown versions, a wrong magic number and an empty file with their own codes', () => {
    const v1 = all.find((f) => f.name.includes('v1-')) as { bytes: Buffer };
    const v5 = Buffer.from(v1.bytes);
    v5.writeInt32BE(5, 4);
    expect(readMetadata(v5)).toMatchObject({ readable: false, code: 'METADATA_UNKNOWN_VERSION', version: 5 });
    const zero = Buffer.from(v1.bytes);
    zero.writeInt32BE(0, 4);
    expect(readMetadata(zero)).toMatchObject({ readable: false, code: 'METADATA_UNKNOWN_VERSION' });
    expect(readMetadata(Buffer.from('PK\u0003\u0004not metadata'))).toMatchObject({ code: 'METADATA_BAD_MAGIC' });
    expect(readMetadata(new Uint8Array())).toMatchObject({ code: 'METADATA_EMPTY' });
  });
});
