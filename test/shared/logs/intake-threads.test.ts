/**
 * The intake's worker threads, as deployed: the built `intake-worker.js` beside the log shipper's bundle
 * (test/global-setup.ts builds dist/). Memory goes back and forth between threads and is reused, so every
 * batch is checked against what one thread stores.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { DIST_DIR } from '../../../scripts/build';
import { prepareBatch } from '../../../shared/logs/batch';
import { IntakeThreads } from '../../../shared/logs/intake-threads';
import { LogKeys } from '../../../shared/logs/keys';
import { encodeSlice } from '../../../shared/logs/slices';
import { BASE_SECONDS, fluentBitJsonLines, vectorNdjson } from './payloads';

const keys = new LogKeys('');
const labels = { namespace: 'team-a', deployment: 'dep-1' };
const receivedAt = new Date('2025-12-01T23:30:00Z');
const WORKER = join(DIST_DIR, 'log-shipper', 'intake-worker.js');
const opened: IntakeThreads[] = [];
const dirs: string[] = [];

afterAll(async () => {
  await Promise.all(opened.map((t) => t.close()));
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function threads(size: number, file = WORKER): IntakeThreads {
  const t = new IntakeThreads(file, size);
  opened.push(t);
  return t;
}

async function objects(body: Buffer, t?: IntakeThreads) {
  const batch = await prepareBatch({ labels, body, receivedAt, keys, threads: t });
  return batch.objects.map((o) => ({ key: o.key, records: o.records, text: gunzipSync(o.body).toString('utf8') }));
}

const fluentBit = Buffer.from(fluentBitJsonLines(12_000, BASE_SECONDS + 3600 - 107 - 5));
const vector = Buffer.from(vectorNdjson(15_000));

describe('IntakeThreads', () => {
  it('stores what one thread stores, batch after batch, with its memory reused', async () => {
    const two = threads(2);
    const expected = [await objects(fluentBit), await objects(vector)];
    for (let round = 0; round < 3; round++) {
      expect(await objects(fluentBit, two)).toEqual(expected[0]);
      expect(await objects(vector, two)).toEqual(expected[1]);
    }
  });

  it('serves concurrent batches of one instance', async () => {
    const one = threads(1);
    const expected = await objects(vector);
    const results = await Promise.all([objects(vector, one), objects(vector, one), objects(vector, one)]);
    for (const r of results) expect(r).toEqual(expected);
  });

  it('encodes a slice as the worker would, and fails its slices when the worker cannot start', async () => {
    const direct = await encodeSlice({ bytes: vector, text: false, labels: '{}', receivedUs: 0 });
    const viaWorker = await threads(1).encode({ bytes: vector, text: false, labels: '{}', receivedUs: 0 });
    expect(viaWorker.count).toBe(direct.count);
    expect(viaWorker.hours.map((h) => h.hour)).toEqual(direct.hours.map((h) => h.hour));
    expect(Buffer.concat(viaWorker.hours[0]!.chunks).equals(Buffer.concat(direct.hours[0]!.chunks))).toBe(true);

    const dir = mkdtempSync(join(tmpdir(), 'intake-worker-'));
    dirs.push(dir);
    const broken = join(dir, 'broken-worker.js');
    writeFileSync(broken, 'throw new Error("no such worker");\n');
    const failing = threads(1, broken);
    await expect(failing.encode({ bytes: vector, text: false, labels: '{}', receivedUs: 0 })).rejects.toThrow(
      /no such worker/,
    );
    // The batch does not fail with it: the slice is encoded on the calling thread.
    expect(await objects(vector, failing)).toEqual(await objects(vector));
  });
});
