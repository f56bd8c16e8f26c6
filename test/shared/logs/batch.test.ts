import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { prepareBatch } from '../../../shared/logs/batch';
import { LogKeys } from '../../../shared/logs/keys';
import type { LogLabels } from '../../../shared/logs/labels';
import { BASE_SECONDS, flinkTextLines, fluentBitJson, fluentBitJsonLines, vectorNdjson } from './payloads';

const keys = new LogKeys('');
const labels: LogLabels = { namespace: 'team-a', deployment: 'dep-1' };
const receivedAt = new Date('2025-12-01T23:30:00Z');

async function prepare(body: string, extra: { idempotencyKey?: string; labels?: LogLabels; receivedAt?: Date } = {}) {
  const bytes = Buffer.from(body);
  return await prepareBatch({
    labels: extra.labels ?? labels,
    body: bytes,
    receivedAt: extra.receivedAt ?? receivedAt,
    keys,
    ...(extra.idempotencyKey !== undefined && { idempotencyKey: extra.idempotencyKey }),
  });
}

const lines = (body: Buffer) => gunzipSync(body).toString('utf8').trimEnd().split('\n');

describe('prepareBatch', () => {
  it('writes the records of one hour into one gzip NDJSON object of its hour partition', async () => {
    const batch = await prepare(vectorNdjson(50));
    expect(batch.objects).toHaveLength(1);
    const [object] = batch.objects;
    expect(object!.key).toMatch(
      /^logs\/_shipped\/namespace=team-a\/deployment=dep-1\/date=2025-12-01\/hour=23\/h-[0-9a-f]{40}\.ndjson\.gz$/,
    );
    expect(object!.records).toBe(50);
    const out = lines(object!.body);
    expect(out).toHaveLength(50);
    const seventh = JSON.parse(out[7]!);
    expect(seventh.message).toMatch(/#7$/);
    // The message is not stored twice: `record` keeps the event's other fields.
    expect(seventh.record).toEqual({
      file: '/opt/flink/log/flink--taskexecutor-0.log',
      host: 'node-1',
      source_type: 'file',
      timestamp: '2025-12-01T23:01:47.007000007Z',
    });
  });

  it("splits a batch spanning an hour boundary by each record's own hour", async () => {
    const body = fluentBitJson(4, BASE_SECONDS + 3600 - 107 - 0.002); // 23:59:59.998… to 00:00:00.001…
    const batch = await prepare(body);
    expect(batch.objects.map((o) => [o.partition.date, o.partition.hour, o.records])).toEqual([
      ['2025-12-01', '23', 2],
      ['2025-12-02', '00', 2],
    ]);
    const name = (k: string) => k.slice(k.lastIndexOf('/'));
    expect(name(batch.objects[0]!.key)).toBe(name(batch.objects[1]!.key));
  });

  it('names objects by Idempotency-Key, scoped to namespace and deployment', async () => {
    const a = await prepare(flinkTextLines(3), { idempotencyKey: 'batch-1' });
    const again = await prepare(flinkTextLines(3), {
      idempotencyKey: 'batch-1',
      receivedAt: new Date('2025-12-01T23:31:00Z'),
    });
    const otherTenant = await prepare(flinkTextLines(3), {
      idempotencyKey: 'batch-1',
      labels: { namespace: 'team-b', deployment: 'dep-1' },
    });
    expect(a.kind).toBe('k');
    expect(again.objects[0]!.key).toBe(a.objects[0]!.key);
    expect(again.fingerprint).toBe(a.fingerprint);
    const name = (k: string) => k.slice(k.lastIndexOf('/'));
    expect(name(otherTenant.objects[0]!.key)).not.toBe(name(a.objects[0]!.key));
  });

  it('names a batch whose records all carry their time by its content, so a collector retry lands once', async () => {
    const a = await prepare(fluentBitJson(5));
    const b = await prepare(fluentBitJson(5), { receivedAt: new Date('2025-12-02T05:00:00Z') });
    expect(a.kind).toBe('h');
    expect(b.objects.map((o) => o.key)).toEqual(a.objects.map((o) => o.key));
    expect(b.objects[0]!.body.equals(a.objects[0]!.body)).toBe(true);
    expect((await prepare(fluentBitJson(6))).objects[0]!.key).not.toBe(a.objects[0]!.key);
  });

  it('gives text lines without a key a random name (they cannot be recognised when sent again)', async () => {
    const a = await prepare(flinkTextLines(2));
    const b = await prepare(flinkTextLines(2));
    expect(a.kind).toBe('r');
    expect(a.objects[0]!.key).not.toBe(b.objects[0]!.key);
    expect(a.objects[0]!.partition.hour).toBe('23');
  });

  it('changes the fingerprint with the labels, so a key reused for another job is a conflict', async () => {
    const a = await prepare(flinkTextLines(2), { idempotencyKey: 'k' });
    const b = await prepare(flinkTextLines(2), { idempotencyKey: 'k', labels: { ...labels, job: 'other' } });
    expect(b.objects[0]!.key).toBe(a.objects[0]!.key);
    expect(b.fingerprint).not.toBe(a.fingerprint);
  });

  it('streams a batch larger than its compression chunks, whole and in order, also beside another batch', async () => {
    const body = vectorNdjson(30_000); // ~8 MB: several 1 MiB chunks through the gzip stream
    const [a, b] = await Promise.all([prepare(body), prepare(fluentBitJsonLines(20_000))]);
    const stored = lines(a.objects[0]!.body);
    expect(stored).toHaveLength(30_000);
    expect(stored.map((l) => JSON.parse(l).message)).toEqual(
      body
        .trimEnd()
        .split('\n')
        .map((l) => JSON.parse(l).message),
    );
    expect(lines(b.objects[0]!.body).map((l) => JSON.parse(l).message.slice(-6))).toContain('#19999');
  });

  it('stores a line longer than a chunk between ordinary ones', async () => {
    const long = 'x'.repeat(1_500_000);
    const body = `{"message":"a","ts":1764630107}\n{"message":"${long}","ts":1764630107}\n{"message":"c","ts":1764630107}\n`;
    const batch = await prepare(body);
    expect(lines(batch.objects[0]!.body).map((l) => JSON.parse(l).message)).toEqual(['a', long, 'c']);
  });

  it('refuses a large batch whose last line is bad, and the next batch is stored whole', async () => {
    await expect(prepare(`${vectorNdjson(20_000)}{"message": oops}\n`)).rejects.toMatchObject({
      code: 'RECORDS_INVALID',
      problems: [{ line: 20_001 }],
    });
    const next = await prepare(vectorNdjson(20_000));
    expect(lines(next.objects[0]!.body)).toHaveLength(20_000);
  });
});
