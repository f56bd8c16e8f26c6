import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { statusOf } from '../../../shared/catalog/record';
import { analyzeBuffer } from '../../support/analyze-buffer';
import { buildZip, classFile, jobJar, pom } from '../../support/jar-builder';

// A JAR with a nested JAR, so mutations also reach the nested path.
const seed = jobJar([
  pom('org.apache.logging.log4j', 'log4j-core', '2.14.1'),
  { name: 'lib/inner.jar', data: buildZip([{ name: 'x/Y.class', data: classFile(52, 400) }]) },
  { name: 'data/blob.bin', data: Buffer.alloc(3000, 1) },
]);
const eocd = seed.length - 22;

/** Every outcome must be a verdict: a list of findings with codes, and a status. */
async function verdictWithin(bytes: Buffer, ms: number) {
  const started = Date.now();
  const a = await analyzeBuffer('job.jar', bytes, {}, { chunk: 997, deadline: started + ms });
  for (const f of a.findings) expect(f.code).toMatch(/^[A-Z][A-Z0-9_]+$/);
  expect(['valid', 'warning', 'invalid']).toContain(statusOf(a.findings));
  expect(Date.now() - started).toBeLessThan(ms + 2000);
  return a;
}

describe('malformed JARs always end in a verdict', () => {
  it('truncations', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: seed.length - 1 }), async (n) => {
        const a = await verdictWithin(seed.subarray(0, n), 2000);
        expect(statusOf(a.findings)).toBe('invalid');
      }),
      { numRuns: 150 },
    );
  });

  it('flipped bytes', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.integer({ min: 0, max: seed.length - 1 }), fc.integer({ min: 1, max: 255 })), {
          minLength: 1,
          maxLength: 8,
        }),
        async (flips) => {
          const bytes = Buffer.from(seed);
          for (const [at, mask] of flips) bytes[at] = (bytes[at] as number) ^ mask;
          await verdictWithin(bytes, 2000);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('corrupted central-directory offset, size and entry count, and entry offsets and sizes', async () => {
    const cdOffset = seed.readUInt32LE(eocd + 16);
    const fields = [eocd + 8, eocd + 10, eocd + 12, eocd + 16];
    // Compressed size, uncompressed size and local-header offset of each central-directory record.
    for (let at = cdOffset; at < eocd && seed.readUInt32LE(at) === 0x02014b50; ) {
      fields.push(at + 20, at + 24, at + 42);
      at += 46 + seed.readUInt16LE(at + 28) + seed.readUInt16LE(at + 30) + seed.readUInt16LE(at + 32);
    }
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...fields),
        fc.oneof(fc.constant(0), fc.constant(0xffffffff), fc.integer({ min: 0, max: 0xffffffff })),
        async (field, value) => {
          const bytes = Buffer.from(seed);
          if (field === eocd + 8 || field === eocd + 10) bytes.writeUInt16LE(value & 0xffff, field);
          else bytes.writeUInt32LE(value >>> 0, field);
          await verdictWithin(bytes, 2000);
        },
      ),
      { numRuns: 300 },
    );
  });
});
