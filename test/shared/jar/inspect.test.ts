import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { inspectJar } from '../../../shared/jar/inspect';
import { bufferSource, type RandomAccessSource } from '../../../shared/jar/random-access';
import { buildZip, classFile } from '../../support/jar-builder';

const zip = buildZip([
  { name: 'META-INF/MANIFEST.MF', data: 'Manifest-Version: 1.0\r\nMain-Class: a.B\r\n\r\n' },
  { name: 'a/B.class', data: classFile(55, 300) },
]);

const options = (openStream: () => Promise<AsyncIterable<Buffer>>) => ({
  openStream,
  deadline: Date.now() + 10_000,
  maxNestedBytes: 1024 * 1024,
  nested: true,
});

describe('inspectJar: the streaming read', () => {
  it('is opened while the central directory is still being read, and read once', async () => {
    const events: string[] = [];
    const inner = bufferSource(zip);
    const source: RandomAccessSource = {
      size: zip.length,
      async read(offset, length) {
        events.push('ranged read');
        await new Promise((resolve) => setTimeout(resolve, 20));
        events.push('ranged read done');
        return inner.read(offset, length);
      },
    };
    const facts = await inspectJar(
      source,
      options(async () => {
        events.push('stream opened');
        return Readable.from([zip]);
      }),
    );
    expect(events.indexOf('stream opened')).toBeLessThan(events.indexOf('ranged read done'));
    expect(events.filter((e) => e === 'stream opened')).toHaveLength(1);
    expect(facts.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect([...facts.classMajors.keys()]).toEqual([55]);
    expect(facts.manifest?.['Main-Class']).toBe('a.B');
  });

  it('is closed when reading the central directory fails with a storage error', async () => {
    const stream = Readable.from([zip]);
    const source: RandomAccessSource = {
      size: zip.length,
      read: () => Promise.reject(new Error('OSS is throttling')),
    };
    await expect(
      inspectJar(
        source,
        options(async () => stream),
      ),
    ).rejects.toThrow(/throttling/);
    await new Promise((resolve) => setImmediate(resolve));
    expect(stream.destroyed).toBe(true);
  });

  it('a stream that cannot be opened rejects the inspection (after the directory read)', async () => {
    await expect(
      inspectJar(
        bufferSource(zip),
        options(() => Promise.reject(new Error('replaced while read'))),
      ),
    ).rejects.toThrow(/replaced/);
  });
});

describe('inspectJar: entries it inflates', () => {
  const inspect = (jar: Buffer) =>
    inspectJar(
      bufferSource(jar),
      options(async () => Readable.from([jar])),
    );
  const manifestOf = (extra: string) => `Manifest-Version: 1.0\r\nMain-Class: a.B\r\n${extra}\r\n`;
  const pom = 'groupId=org.example\nartifactId=lib\nversion=1.2.3\n';

  it('reads a small manifest and pom.properties, a large manifest, and one whose declared size is wrong', async () => {
    const long = Array.from({ length: 3000 }, (_, i) => `X-Line-${i}: ${'v'.repeat(20)}\r\n`).join('');
    expect(Buffer.byteLength(manifestOf(long))).toBeGreaterThan(64 * 1024);
    for (const [label, manifest, declaredSize] of [
      ['small', manifestOf(''), undefined],
      ['larger than 64 KiB', manifestOf(long), undefined],
      ['declared 10 bytes larger', manifestOf(''), Buffer.byteLength(manifestOf('')) + 10],
    ] as const) {
      const jar = buildZip([
        { name: 'META-INF/MANIFEST.MF', data: manifest, method: 'deflate', ...(declaredSize ? { declaredSize } : {}) },
        { name: 'META-INF/maven/org.example/lib/pom.properties', data: pom.repeat(3), method: 'deflate' },
      ]);
      const facts = await inspect(jar);
      expect(facts.manifest?.['Main-Class'], label).toBe('a.B');
      expect(facts.corruptEntries.count + facts.corruptEntries.examples.length, label).toBe(0);
      expect(
        facts.embedded.map((e) => `${e.groupId}:${e.artifactId}:${e.version}`),
        label,
      ).toEqual(['org.example:lib:1.2.3']);
    }
  });

  it('reports a manifest whose compressed bytes are not DEFLATE as an entry it cannot decompress', async () => {
    const jar = buildZip([{ name: 'META-INF/MANIFEST.MF', data: manifestOf(''), method: 'deflate' }]);
    // The data starts after the 30-byte local header and the name: make its first block type 3 (reserved).
    const at = 30 + 'META-INF/MANIFEST.MF'.length;
    jar[at] = 0b111;
    const facts = await inspect(jar);
    expect(facts.manifestPresent).toBe(true);
    expect(facts.manifest).toBeUndefined();
    expect(facts.corruptEntries.examples).toEqual(['META-INF/MANIFEST.MF (cannot be decompressed)']);
  });
});
