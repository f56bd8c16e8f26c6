/**
 * The log intake against the local OSS server over real HTTP (ali-oss adapter and signed PUTs): collector
 * payloads, refusals, idempotent resends, and OSS failing under it without a record lost or doubled.
 */
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HttpRequest } from '../../../shared/http/types';
import { type IntakeFixture, startIntake, storedKeys, storedRecords, TOKENS } from './oss-fixture';
import { flinkTextLines, fluentBitJson, fluentBitJsonLines, vectorNdjson } from './payloads';

let f: IntakeFixture;
beforeAll(async () => {
  f = await startIntake({ LOGS_MAX_BATCH_BYTES: '1MiB' });
}, 60_000);
afterAll(async () => {
  await f?.close();
});

interface Send {
  query?: string;
  body: string | Buffer;
  headers?: Record<string, string>;
  token?: string | null;
}

async function send(s: Send) {
  const body = typeof s.body === 'string' ? Buffer.from(s.body) : s.body;
  const token = s.token === undefined ? TOKENS.writer : s.token;
  const req: HttpRequest = {
    method: 'POST',
    path: '/v1/logs',
    query: new URLSearchParams(s.query ?? 'namespace=team-a&deployment=dep-1'),
    headers: { ...(token && { authorization: `Bearer ${token}` }), ...s.headers },
    body,
  };
  const res = await f.app.handle(req);
  return { status: res.status, headers: res.headers, json: JSON.parse(String(res.body)) as any };
}

const prefixOf = (deployment: string) => f.keys.shippedPrefix('team-a', deployment);

describe('collector payloads', () => {
  it('stores a gzip Fluent Bit JSON array (format json, compress gzip) with its own times', async () => {
    const res = await send({
      query: 'namespace=team-a&deployment=fb-json&job=job-1&source=taskmanager',
      body: gzipSync(fluentBitJson(200)),
      headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
    });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ accepted: 200, rejected: [], duplicate: false });
    const records = await storedRecords(f.store, prefixOf('fb-json'));
    expect(records).toHaveLength(200);
    expect(records[0]).toMatchObject({
      ts: '2025-12-01T23:01:47.000123Z',
      labels: { namespace: 'team-a', deployment: 'fb-json', job: 'job-1', source: 'taskmanager' },
    });
    expect(new Set(records.map((r) => r.message)).size).toBe(200);
    // The message is stored once: the record keeps every other field of the element.
    const sent = JSON.parse(fluentBitJson(200)) as Array<Record<string, unknown>>;
    expect(records.map((r) => ({ ...r.record, log: r.message }))).toEqual(sent);
    const keys = await storedKeys(f.store, prefixOf('fb-json'));
    expect(keys).toEqual([expect.stringMatching(/date=2025-12-01\/hour=23\/h-[0-9a-f]{40}\.ndjson\.gz$/)]);
  });

  it('stores Fluent Bit json_lines and Vector NDJSON', async () => {
    for (const [deployment, body, field] of [
      ['fb-lines', fluentBitJsonLines(50), 'log'],
      ['vector', vectorNdjson(50), 'message'],
    ] as const) {
      const res = await send({
        query: `namespace=team-a&deployment=${deployment}`,
        body: gzipSync(body),
        headers: { 'content-type': 'application/x-ndjson', 'content-encoding': 'gzip' },
      });
      expect(res.status).toBe(200);
      const records = await storedRecords(f.store, prefixOf(deployment));
      expect(records.map((r) => ({ ...r.record, [field]: r.message }))).toEqual(
        body
          .trimEnd()
          .split('\n')
          .map((l) => JSON.parse(l)),
      );
    }
  });

  it('stores plain text lines with the receive time and their log4j level', async () => {
    const res = await send({
      query: 'namespace=team-a&deployment=text',
      body: flinkTextLines(8),
      headers: { 'content-type': 'text/plain' },
    });
    expect(res.status).toBe(200);
    const records = await storedRecords(f.store, prefixOf('text'));
    expect(records.map((r) => r.level)).toEqual(['info', 'warn', 'error', 'info', 'info', 'warn', 'error', 'info']);
    const age = Date.now() - Date.parse(records[0]!.ts);
    expect(age).toBeGreaterThanOrEqual(0);
    expect(age).toBeLessThan(60_000);
  });
});

describe('refusals', () => {
  it('answers 401 without a token and 403 for a token without logs:write or outside its namespaces', async () => {
    expect((await send({ body: '{}', token: null })).status).toBe(401);
    const wrongAction = await send({ body: '{"m":1}', token: TOKENS.reader });
    expect([wrongAction.status, wrongAction.json.error.code]).toEqual([403, 'FORBIDDEN']);
    const wrongNamespace = await send({ body: '{"m":1}', token: TOKENS.other });
    expect(wrongNamespace.status).toBe(403);
    expect(wrongNamespace.json.error.message).toContain('team-a');
  });

  it('answers 400 naming a missing label', async () => {
    const res = await send({ query: 'namespace=team-a', body: '{"m":1}' });
    expect([res.status, res.json.error.code]).toEqual([400, 'LABEL_INVALID']);
    expect(res.json.error.message).toMatch(/deployment is required/);
  });

  it('answers 413 over the configured limit, compressed or not', async () => {
    const big = 'x'.repeat(1024 * 1024 + 1);
    expect((await send({ body: big })).status).toBe(413);
    const res = await send({ body: gzipSync(big), headers: { 'content-encoding': 'gzip' } });
    expect([res.status, res.json.error.code]).toEqual([413, 'BATCH_TOO_LARGE']);
  });

  it('refuses a batch with unreadable records, naming their lines, and stores nothing', async () => {
    const body = '{"message":"ok 1"}\n{"message": oops}\n{"message":"ok 3"}\n[1,2]\n';
    const res = await send({ query: 'namespace=team-a&deployment=bad', body });
    expect(res.status).toBe(400);
    expect(res.json.error.code).toBe('RECORDS_INVALID');
    expect(res.json.error.problems.map((p: { line: number }) => p.line)).toEqual([2, 4]);
    expect(res.json.error.message).toMatch(/2 of 4 records/);
    expect(await storedKeys(f.store, prefixOf('bad'))).toEqual([]);
  });

  it('stores the good records and reports the bad ones when asked for partial acceptance', async () => {
    const body = '{"message":"ok 1"}\n{"message": oops}\n{"message":"ok 3"}\n';
    const res = await send({ query: 'namespace=team-a&deployment=partial&partial=true', body });
    expect(res.status).toBe(200);
    expect(res.json.accepted).toBe(2);
    expect(res.json.rejected).toEqual([{ line: 2, message: expect.stringMatching(/^not valid JSON/) }]);
    expect((await storedRecords(f.store, prefixOf('partial'))).map((r) => r.message)).toEqual(['ok 1', 'ok 3']);
  });
});

describe('resent batches', () => {
  it('stores a batch sent twice with the same Idempotency-Key once', async () => {
    const batch = {
      query: 'namespace=team-a&deployment=idem',
      body: flinkTextLines(5),
      headers: { 'idempotency-key': 'b-1' },
    };
    const first = await send(batch);
    const second = await send(batch);
    expect([first.status, first.json.duplicate]).toEqual([200, false]);
    expect([second.status, second.json.duplicate]).toEqual([200, true]);
    expect(second.json.objects.map((o: { key: string }) => o.key)).toEqual(
      first.json.objects.map((o: { key: string }) => o.key),
    );
    expect(await storedRecords(f.store, prefixOf('idem'))).toHaveLength(5);
  });

  it('refuses a different batch under a key already used, with 409', async () => {
    await send({ query: 'namespace=team-a&deployment=idem2', body: 'one\n', headers: { 'idempotency-key': 'k' } });
    const res = await send({
      query: 'namespace=team-a&deployment=idem2',
      body: 'two\n',
      headers: { 'idempotency-key': 'k' },
    });
    expect([res.status, res.json.error.code]).toEqual([409, 'IDEMPOTENCY_CONFLICT']);
    expect((await storedRecords(f.store, prefixOf('idem2'))).map((r) => r.message)).toEqual(['one']);
  });

  it('recognises a collector resend by content when every record carries its time', async () => {
    const batch = { query: 'namespace=team-a&deployment=resend', body: fluentBitJson(20) };
    expect((await send(batch)).json.duplicate).toBe(false);
    expect((await send(batch)).json.duplicate).toBe(true);
    expect(await storedRecords(f.store, prefixOf('resend'))).toHaveLength(20);
  });
});

describe('OSS failing under the intake', () => {
  it('answers each batch with a failure or a success, never loses one, and stores every record once after retries', async () => {
    // Strong enough that some batches fail even after the intake's own retries (4 attempts each).
    f.oss.faults.set('PutObject', { internalError: 0.45, reset: 0.25 });
    f.oss.faults.set('HeadObject', { internalError: 0.2, reset: 0.1 });
    const outcomes: Array<{ batch: number; status: number }> = [];
    const batches = Array.from({ length: 24 }, (_, i) => ({
      query: 'namespace=team-a&deployment=faults',
      // Half are collector batches (recognised by content), half text with a key.
      ...(i % 2 === 0
        ? { body: fluentBitJsonLines(10, 1_764_630_107 + i * 100) }
        : { body: flinkTextLines(10).replaceAll('#', `b${i}#`), headers: { 'idempotency-key': `batch-${i}` } }),
    }));
    try {
      await Promise.all(
        batches.map(async (batch, i) => {
          // A collector: resend until acknowledged; also resend once after a success (a lost answer).
          for (let attempt = 0; attempt < 40; attempt++) {
            const res = await send(batch);
            outcomes.push({ batch: i, status: res.status });
            expect([200, 503]).toContain(res.status);
            if (res.status === 200) {
              const again = await send(batch);
              outcomes.push({ batch: i, status: again.status });
              if (again.status === 200) expect(again.json.duplicate).toBe(true);
              return;
            }
          }
          throw new Error(`batch ${i} was never acknowledged`);
        }),
      );
    } finally {
      f.oss.faults.clear();
    }
    expect(outcomes.some((o) => o.status === 503)).toBe(true);
    const records = await storedRecords(f.store, prefixOf('faults'));
    const expected = batches.flatMap((b) =>
      'headers' in b
        ? b.body.trimEnd().split('\n')
        : b.body
            .trimEnd()
            .split('\n')
            .map((l) => JSON.parse(l).log),
    );
    const stored = records.map((r) => r.message);
    expect(stored.sort()).toEqual(expected.sort());
  }, 120_000);
});
