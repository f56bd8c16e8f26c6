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
