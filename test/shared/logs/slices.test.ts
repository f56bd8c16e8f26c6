/**
 * A large NDJSON or text batch is cut into line slices that other threads encode; what is stored must be
 * exactly what one thread stores: the same objects byte for byte, counts, refusals and line numbers.
 */
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { type PreparedBatch, prepareBatch } from '../../../shared/logs/batch';
import { LogKeys } from '../../../shared/logs/keys';
import { encodeSlice, type SliceEncoder, sliceLines } from '../../../shared/logs/slices';
import { BASE_SECONDS, flinkTextLines, fluentBitJsonLines, vectorNdjson } from './payloads';

const keys = new LogKeys('');
const labels = { namespace: 'team-a', deployment: 'dep-1' };
const receivedAt = new Date('2025-12-01T23:30:00Z');

/** Encodes slices in this thread, counting them: the worker protocol without the worker. */
function inPlace(size: number): SliceEncoder & { slices: number } {
  return {
    size,
    slices: 0,
    encode(job) {
      this.slices++;
      return encodeSlice(job);
    },
  };
}

async function prepare(body: string | Buffer, threads?: SliceEncoder, extra: { partial?: boolean } = {}) {
  return prepareBatch({ labels, body: Buffer.from(body), receivedAt, keys, threads, ...extra });
}

/** The objects of a batch, named by key (a batch without its records' own times gets a random name). */
function stored(batch: PreparedBatch) {
  return batch.objects.map((o) => ({
    key: batch.kind === 'r' ? o.key.slice(0, o.key.lastIndexOf('/')) : o.key,
    records: o.records,
    text: gunzipSync(o.body).toString('utf8'),
  }));
}

// ~3.5 MB: 12,000 Fluent Bit records 1 ms apart from 23:01:47 would stay in one hour, so they start just
// before the hour ends and cross into the next.
const crossing = fluentBitJsonLines(12_000, BASE_SECONDS + 3600 - 107 - 5);

describe('sliceLines', () => {
  it('cuts after newlines, the first slice its share, and the slices put together are the body', () => {
    const body = Buffer.from('aaaa\nbb\ncccccc\nd\neeeeeeee\nf');
    const slices = sliceLines(body, 3, 0.2);
    expect(Buffer.concat(slices).equals(body)).toBe(true);
    for (const s of slices.slice(0, -1)) expect(s.at(-1)).toBe(0x0a);
    expect(slices[0]!.toString()).toBe('aaaa\nbb\n'); // 20% of 26 bytes is inside the second line
    expect(slices).toHaveLength(3);
  });

  it('gives fewer slices when the body has fewer lines', () => {
    expect(sliceLines(Buffer.from('one long line without an end'), 4)).toHaveLength(1);
    expect(sliceLines(Buffer.from('a\nb'), 4).map(String)).toEqual(['a\n', 'b']);
    expect(sliceLines(Buffer.alloc(0), 2)).toHaveLength(1);
  });
});

describe('prepareBatch with slices encoded elsewhere', () => {
  it('stores exactly what one thread stores, across an hour boundary', async () => {
    const one = await prepare(crossing);
    const threads = inPlace(2);
    const many = await prepare(crossing, threads);
    expect(threads.slices).toBe(2);
    expect(one.objects).toHaveLength(2);
    expect(stored(many)).toEqual(stored(one));
    expect([many.accepted, many.kind, many.fingerprint]).toEqual([12_000, one.kind, one.fingerprint]);
  });

  it('names bad lines by their line in the whole body, refused or partly accepted', async () => {
    const lines = vectorNdjson(10_000).split('\n');
    for (const at of [5, 4_000, 7_500, 9_998]) lines[at] = '{"broken": ';
    const body = lines.join('\n');
    const threads = inPlace(1);
    await expect(prepare(body, threads)).rejects.toThrow(
      /4 of 10000 records.*line 6: .*line 4001: .*line 7501: .*line 9999:/,
    );
    const one = await prepare(body, undefined, { partial: true });
    const many = await prepare(body, threads, { partial: true });
    expect(many.rejected.map((p) => p.line)).toEqual([6, 4001, 7501, 9999]);
    expect(many.rejected).toEqual(one.rejected);
    expect(stored(many)).toEqual(stored(one));
  });

  it('slices text and CRLF bodies the same way, and leaves a JSON array and small bodies to this thread', async () => {
    const threads = inPlace(1);
    const text = flinkTextLines(30_000).replaceAll('\n', '\r\n');
    expect(stored(await prepare(text, threads))).toEqual(stored(await prepare(text)));
    expect(threads.slices).toBe(1);
    const small = inPlace(1);
    await prepare(vectorNdjson(100), small);
    await prepare(`[${vectorNdjson(10_000).trimEnd().split('\n').join(',')}]`, small);
    expect(small.slices).toBe(0);
  });

  it('encodes a slice here when its thread fails', async () => {
    const failing: SliceEncoder = { size: 1, encode: () => Promise.reject(new Error('worker gone')) };
    expect(stored(await prepare(crossing, failing))).toEqual(stored(await prepare(crossing)));
  });
});
