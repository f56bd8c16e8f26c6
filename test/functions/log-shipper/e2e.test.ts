/**
 * log-shipper end to end: the built bundle in the local FC runtime behind its HTTP trigger, fed exactly
 * what Fluent Bit and Vector send, compacted by its timer, read back with `npm run logs`.
 */
import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../../../scripts/build';
import { fluentBitJson, vectorNdjson } from '../../shared/logs/payloads';
import { startTestStack, type TestStack } from '../../support/local-stack';

const require = createRequire(import.meta.url);
const OSS = require('ali-oss') as new (o: object) => AliClient;
interface AliClient {
  get(name: string): Promise<{ content: Buffer }>;
  listV2(query: object): Promise<{ objects?: Array<{ name: string }> }>;
}

let stack: TestStack;
let url: string;
let oss: AliClient;

beforeAll(async () => {
  stack = await startTestStack();
  url = stack.urls['log-shipper']!;
  oss = new OSS({
    endpoint: stack.ossEndpoint,
    sldEnable: true,
    region: 'oss-cn-hangzhou',
    bucket: stack.settings.bucket,
    accessKeyId: stack.settings.accessKeyId,
    accessKeySecret: stack.settings.accessKeySecret,
    authorizationV4: true,
  });
}, 120_000);

afterAll(async () => {
  await stack?.close();
});

async function keysUnder(prefix: string): Promise<string[]> {
  return ((await oss.listV2({ prefix, 'max-keys': 1000 })).objects ?? []).map((o) => o.name);
}

async function recordsUnder(prefix: string): Promise<Array<Record<string, any>>> {
  const out: Array<Record<string, any>> = [];
  for (const key of await keysUnder(prefix)) {
    const text = gunzipSync((await oss.get(key)).content).toString('utf8');
    for (const line of text.split('\n')) if (line) out.push(JSON.parse(line));
  }
  return out;
}

const auth = () => ({ authorization: `Bearer ${stack.settings.apiToken}` });

describe('log-shipper on the local stack', () => {
  it('serves /healthz and an OpenAPI description of POST /v1/logs', async () => {
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    const doc = (await (await fetch(`${url}/openapi.json`)).json()) as { paths: Record<string, unknown> };
    expect(Object.keys(doc.paths)).toContain('/v1/logs');
  });

  it('stores what Fluent Bit (format json, compress gzip) sends, and a resend once', async () => {
    const body = gzipSync(fluentBitJson(300));
    const send = () =>
      fetch(`${url}/v1/logs?namespace=default&deployment=fluent-bit&source=taskmanager`, {
        method: 'POST',
        headers: { ...auth(), 'content-type': 'application/json', 'content-encoding': 'gzip' },
        body,
      });
    const first = await send();
    expect(first.status).toBe(200);
    expect(await first.json()).toMatchObject({ accepted: 300, duplicate: false });
    expect(await (await send()).json()).toMatchObject({ accepted: 300, duplicate: true });
    const records = await recordsUnder('logs/_shipped/namespace=default/deployment=fluent-bit/');
    expect(records).toHaveLength(300);
    expect(records[0]!.labels).toEqual({ namespace: 'default', deployment: 'fluent-bit', source: 'taskmanager' });
  });

  it('stores what Vector (http sink, json codec, newline-delimited, gzip) sends', async () => {
    const res = await fetch(`${url}/v1/logs?namespace=default&deployment=vector`, {
      method: 'POST',
      headers: { ...auth(), 'content-type': 'application/x-ndjson', 'content-encoding': 'gzip' },
      body: gzipSync(vectorNdjson(120)),
    });
    expect(res.status).toBe(200);
    const records = await recordsUnder('logs/_shipped/namespace=default/deployment=vector/');
    expect(records.map((r) => r.message)).toEqual(
      vectorNdjson(120)
        .trimEnd()
        .split('\n')
        .map((l) => JSON.parse(l).message),
    );
  });

  it('encodes a large batch on both vCPUs of its instance (s.yaml) and stores every record in order', async () => {
    // 20,000 events (~5.6 MB): over the size from which the intake shares a batch with its worker thread.
    const body = vectorNdjson(20_000);
    const lines = body.trimEnd().split('\n');
    lines[15_000] = '{"message": "cut';
    const res = await fetch(`${url}/v1/logs?namespace=default&deployment=large&partial=true`, {
      method: 'POST',
      headers: { ...auth(), 'content-type': 'application/x-ndjson', 'content-encoding': 'gzip' },
      body: gzipSync(lines.join('\n')),
    });
    expect(res.status).toBe(200);
    // The bad line is named by its line in the whole body, though a worker thread read it.
    expect(await res.json()).toMatchObject({ accepted: 19_999, rejected: [{ line: 15_001 }] });
    const records = await recordsUnder('logs/_shipped/namespace=default/deployment=large/');
    const expected = lines.filter((_, i) => i !== 15_000).map((l) => JSON.parse(l).message);
    expect(records.map((r) => r.message)).toEqual(expected);
  });

  it('refuses a batch without a token (401) and one with a bad line (400 naming the line)', async () => {
    const unauth = await fetch(`${url}/v1/logs?namespace=default&deployment=x`, { method: 'POST', body: '{}' });
    expect(unauth.status).toBe(401);
    const bad = await fetch(`${url}/v1/logs?namespace=default&deployment=x`, {
      method: 'POST',
      headers: { ...auth(), 'content-type': 'application/x-ndjson' },
      body: '{"message":"fine"}\n{"message":\n',
    });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as any).error.problems).toEqual([{ line: 2, message: expect.any(String) }]);
  });

  it('compacts closed hours on its timer into one object with the same records, readable with npm run logs', async () => {
    const prefix = 'logs/_shipped/namespace=default/deployment=compact/';
    // An hour that closed at least an hour ago, inside compaction's look-back window.
    const hourStart = Math.floor(Date.now() / 3_600_000) * 3600 - 2 * 3600;
    for (let i = 0; i < 4; i++) {
      const res = await fetch(`${url}/v1/logs?namespace=default&deployment=compact`, {
        method: 'POST',
        headers: { ...auth(), 'content-type': 'application/x-ndjson' },
        body: vectorNdjson(25, hourStart + 60 + i),
      });
      expect(res.status).toBe(200);
    }
    const before = (await recordsUnder(prefix)).map((r) => JSON.stringify(r)).sort();
    expect(await keysUnder(prefix)).toHaveLength(4);

    const result = await stack.runtime.invoke('log-shipper', {
      triggerTime: new Date().toISOString(),
      triggerName: 'compaction',
      payload: 'compact',
    });
    expect(result.error).toBeUndefined();
    expect(JSON.parse(result.payload.toString())).toMatchObject({ merges: 1, objectsMerged: 4, skipped: [] });
    expect(await keysUnder(prefix)).toEqual([expect.stringMatching(/\/m-[0-9a-f]{40}\.ndjson\.gz$/)]);
    expect((await recordsUnder(prefix)).map((r) => JSON.stringify(r)).sort()).toEqual(before);

    // Asynchronously: the OSS server answering the CLI runs in this process.
    const cli = await promisify(execFile)(
      process.execPath,
      [
        join(ROOT, 'node_modules/tsx/dist/cli.mjs'),
        join(ROOT, 'local/logs.ts'),
        'query',
        '--local',
        '--namespace',
        'default',
        '--deployment',
        'compact',
        '--since',
        new Date(hourStart * 1000).toISOString(),
        '--until',
        new Date(hourStart * 1000 + 3_600_000).toISOString(),
        '--grep',
        'WARN',
      ],
      {
        cwd: ROOT,
        encoding: 'utf8',
        timeout: 60_000,
        env: { ...process.env, LOCAL_OSS_PORT: String(stack.oss.port), LOCAL_BUCKET: stack.settings.bucket },
      },
    );
    expect(cli.stderr).toContain('Reading logs of default/compact');
    const lines = cli.stdout.trim().split('\n');
    expect(lines).toHaveLength(24); // lines 1, 5, … 21 of each batch of 25 are WARN
    expect(lines[0]).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:01:0\d\.\d{6}Z WARN {2}default\/compact WARN/);
  }, 60_000);

  it("holds presign-api's audit trail: every issued URL, without its signature", async () => {
    const api = stack.urls['presign-api']!;
    const res = await fetch(`${api}/v1/uploads`, {
      method: 'POST',
      headers: { ...auth(), 'content-type': 'application/json' },
      body: JSON.stringify({ namespace: 'default', name: 'audited.jar', size: 6 }),
    });
    expect(res.status).toBe(201);
    const { url: signed } = (await res.json()) as { url: string };
    const signature = new URL(signed).searchParams.get('x-oss-signature');
    expect(signature).toBeTruthy();
    const events = await recordsUnder('logs/_audit/function=presign-api/');
    const issued = events.find((e) => e.key === 'artifacts/namespaces/default/audited.jar');
    expect(issued).toMatchObject({ event: 'url.issued', function: 'presign-api', tokenId: 'local-dev', method: 'PUT' });
    expect(issued!.requestId).toBe(res.headers.get('x-request-id'));
    expect(JSON.stringify(events)).not.toContain(signature);
  });

  it("holds presign-api's deletions too: who deleted which artifact", async () => {
    const api = stack.urls['presign-api']!;
    const res = await fetch(`${api}/v1/uploads`, {
      method: 'POST',
      headers: { ...auth(), 'content-type': 'application/json' },
      body: JSON.stringify({ namespace: 'default', name: 'deleted.jar', size: 6 }),
    });
    const signed = (await res.json()) as { url: string; headers: Record<string, string> };
    expect((await fetch(signed.url, { method: 'PUT', headers: signed.headers, body: 'abcdef' })).status).toBe(200);
    const deleted = await fetch(`${api}/v1/artifacts/default/deleted.jar`, { method: 'DELETE', headers: auth() });
    expect(deleted.status).toBe(204);
    const events = await recordsUnder('logs/_audit/function=presign-api/');
    const event = events.find(
      (e) => e.event === 'artifact.deleted' && e.key === 'artifacts/namespaces/default/deleted.jar',
    );
    expect(event).toMatchObject({ function: 'presign-api', tokenId: 'local-dev', size: 6 });
    expect(event!.requestId).toBe(deleted.headers.get('x-request-id'));
  });
});
