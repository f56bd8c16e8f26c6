import { createHash, randomBytes } from 'node:crypto';
import { beforeEach, describe, expect, it } from 'vitest';
import { type Env, loadConfig } from '../../../shared/config';
import { BucketLayout } from '../../../shared/layout';
import { createLogger } from '../../../shared/log';
import { tokenDigest } from '../../../shared/presign/auth';
import { createPresignApp, type PresignApp } from '../../../shared/presign/http/app';
import { StorageError } from '../../../shared/storage';
import { MemoryStore } from '../../../shared/storage/memory-store';
import { UrlSigner } from '../../../shared/storage/url-signer';

/**
 * The presign API's logic on the in-memory store: the HTTP app called directly, no server and no OSS. What
 * a client would upload with an issued URL is written to the store directly; that OSS honours the URLs is
 * the integration tests' part (test/functions/presign-api).
 */

const PART = 100 * 1024;
const BUCKET = 'unit-bucket';
const tokens = {
  admin: 'admin-token',
  ci: 'ci-token', // upload + list in team-a
  reader: 'reader-token', // download + list in team-a
  deleter: 'deleter-token', // upload + delete + list in team-a
};
const API_TOKENS = JSON.stringify([
  { id: 'admin', sha256: tokenDigest(tokens.admin), namespaces: '*', actions: '*' },
  { id: 'ci', sha256: tokenDigest(tokens.ci), namespaces: ['team-a'], actions: ['upload', 'list'] },
  { id: 'reader', sha256: tokenDigest(tokens.reader), namespaces: ['team-a'], actions: ['download', 'list'] },
  { id: 'deleter', sha256: tokenDigest(tokens.deleter), namespaces: ['team-a'], actions: ['upload', 'delete', 'list'] },
]);

const md5Hex = (b: Buffer | string) => createHash('md5').update(b).digest('hex').toUpperCase();
const md5Base64 = (b: Buffer | string) => createHash('md5').update(b).digest('base64');

let store: MemoryStore;
let app: PresignApp;
let logLines: Array<Record<string, unknown>>;
let sts: boolean;

function build(env: Env = {}): void {
  const config = loadConfig({
    OSS_BUCKET: BUCKET,
    OSS_REGION: 'cn-hangzhou',
    OSS_CHUNK_SIZE: `${PART}`,
    MAX_UPLOAD_BYTES: '10MiB',
    PRESIGN_MAX_EXPIRES: '2h',
    OSS_ACCESS_KEY_ID: 'unit-key-id',
    OSS_ACCESS_KEY_SECRET: 'unit-key-secret',
    API_TOKENS,
    ...env,
  });
  store = new MemoryStore({ bucket: BUCKET });
  logLines = [];
  sts = false;
  const credentials = () => ({
    accessKeyId: 'unit-key-id',
    accessKeySecret: 'unit-key-secret',
    ...(sts && { securityToken: 'unit-sts-token' }),
  });
  app = createPresignApp({
    config,
    store,
    signer: new UrlSigner(config.oss, credentials),
    layout: new BucketLayout(config.oss.bucket, config.oss.rootDirectory),
    logger: createLogger({}, { write: (line) => logLines.push(JSON.parse(line)) }),
    usingStsCredentials: () => sts,
    version: '1.2.3',
  });
}

beforeEach(() => build());

/** Calls the app; `token` null sends no Authorization header. */
async function call(method: string, path: string, body?: unknown, token: string | null = tokens.admin) {
  const res = await app.fetch(
    new Request(`http://api.test${path}`, {
      method,
      headers: {
        ...(token && { authorization: `Bearer ${token}` }),
        ...(body !== undefined && { 'content-type': 'application/json' }),
      },
      ...(body !== undefined && { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    }),
  );
  const text = await res.text();
  return { status: res.status, headers: res.headers, json: text ? (JSON.parse(text) as any) : undefined };
}

async function uploads(): Promise<string[]> {
  const ids: string[] = [];
  for await (const page of store.multipart.listUploads()) ids.push(...page.map((u) => u.uploadId));
  return ids;
}

describe('single-part uploads', () => {
  it('signs one PUT bound to key, type, digest and forbid-overwrite, without touching the bucket', async () => {
    const before = Date.now();
    const res = await call('POST', '/v1/uploads', {
      namespace: 'team-a',
      name: 'jobs/word count.jar',
      size: 4321,
      contentMd5: md5Base64('x'),
    });
    expect(res.status).toBe(201);
    expect(res.json).toMatchObject({
      key: 'artifacts/namespaces/team-a/jobs/word count.jar',
      ossPath: `oss://${BUCKET}/artifacts/namespaces/team-a/jobs/word count.jar`,
      method: 'PUT',
      size: 4321,
      headers: {
        'content-type': 'application/java-archive',
        'content-md5': md5Base64('x'),
        'x-oss-forbid-overwrite': 'true',
      },
    });
    const url = new URL(res.json.url);
    expect(url.host).toBe(`${BUCKET}.oss-cn-hangzhou.aliyuncs.com`);
    expect(decodeURIComponent(url.pathname)).toBe('/artifacts/namespaces/team-a/jobs/word count.jar');
    expect(url.searchParams.get('x-oss-signature-version')).toBe('OSS4-HMAC-SHA256');
    expect(url.searchParams.get('x-oss-expires')).toBe('900');
    // V4 binds Content-Length: the declared size is part of the signed headers.
    expect(url.searchParams.get('x-oss-additional-headers')).toContain('content-length');
    const expiresAt = Date.parse(res.json.expiresAt);
    expect(expiresAt - before).toBeGreaterThanOrEqual(899_000);
    expect(expiresAt - Date.now()).toBeLessThanOrEqual(900_000);
    const listed = [];
    for await (const page of store.list()) listed.push(...page.objects);
    expect(listed).toEqual([]);
    expect(await uploads()).toEqual([]);
  });

  it('lifts forbid-overwrite only for a token that may also delete', async () => {
    const body = { namespace: 'team-a', name: 'dup.jar', size: 6, overwrite: true };
    const refused = await call('POST', '/v1/uploads', body, tokens.ci);
    expect(refused.status).toBe(403);
    expect(refused.json.error).toMatchObject({
      code: 'FORBIDDEN',
      message: expect.stringMatching(/may not overwrite: replacing an artifact needs the delete action/),
    });
    const allowed = await call('POST', '/v1/uploads', body, tokens.deleter);
    expect(allowed.status).toBe(201);
    expect(allowed.json.headers['x-oss-forbid-overwrite']).toBeUndefined();
  });

  it('adds the configured encryption headers, signs for the acceleration endpoint on request', async () => {
    build({ OSS_ENCRYPT: 'KMS', OSS_KMS_KEY_ID: 'key-1' });
    const res = await call('POST', '/v1/uploads', { namespace: 'team-a', name: 'enc.jar', size: 10, accelerate: true });
    expect(res.json.headers).toMatchObject({
      'x-oss-server-side-encryption': 'KMS',
      'x-oss-server-side-encryption-key-id': 'key-1',
    });
    expect(new URL(res.json.url).host).toBe(`${BUCKET}.oss-accelerate.aliyuncs.com`);
  });

  it('keeps URL lifetimes within the configured maximum, and within 12 h with STS credentials', async () => {
    const asked = (expiresIn: number) =>
      call('POST', '/v1/uploads', { namespace: 'team-a', name: 'a.jar', size: 1, expiresIn });
    expect((await asked(7200)).status).toBe(201);
    expect((await asked(7201)).json.error).toMatchObject({
      code: 'EXPIRY_OUT_OF_RANGE',
      message: 'expiresIn must be between 1 and 7200 seconds, got 7201.',
    });
    expect((await asked(0)).json.error.code).toBe('INVALID_REQUEST');

    build({ PRESIGN_MAX_EXPIRES: '7d', PRESIGN_EXPIRES: '1d' });
    expect(new URL((await asked(604_800)).json.url).searchParams.get('x-oss-expires')).toBe('604800');
    sts = true;
    expect((await asked(43_201)).json.error.message).toBe('expiresIn must be between 1 and 43200 seconds, got 43201.');
    // The default (a day) is cut to the STS limit rather than refused.
    const byDefault = await call('POST', '/v1/uploads', { namespace: 'team-a', name: 'b.jar', size: 1 });
    expect(new URL(byDefault.json.url).searchParams.get('x-oss-expires')).toBe('43200');
    expect(new URL(byDefault.json.url).searchParams.get('x-oss-security-token')).toBe('unit-sts-token');
  });

  it('refuses extensions not allowed and sizes over the limit', async () => {
    expect(
      (await call('POST', '/v1/uploads', { namespace: 'team-a', name: 'x.exe', size: 1 })).json.error,
    ).toMatchObject({
      code: 'EXTENSION_NOT_ALLOWED',
      message: expect.stringContaining('must end with one of .jar, .py, .zip'),
    });
    const big = await call('POST', '/v1/uploads', { namespace: 'team-a', name: 'x.jar', size: 10 * 1024 ** 2 + 1 });
    expect(big.status).toBe(413);
    expect(big.json.error.message).toContain('larger than the 10485760 bytes');
    expect((await call('POST', '/v1/uploads', { namespace: 'team-a', name: 'x.tar.gz', size: 1 })).status).toBe(201);
  });
});

describe('multipart uploads', () => {
  async function start(size: number, token = tokens.admin, name = 'big/fat.jar') {
    const res = await call('POST', '/v1/uploads', { namespace: 'team-a', name, size }, token);
    expect(res.status).toBe(201);
    return res.json as {
      key: string;
      uploadId: string;
      partSize: number;
      partCount: number;
      parts: Array<{ partNumber: number; url: string; size: number }>;
    };
  }

  it('plans parts, keeps the plan in the bucket, resumes and completes into the object', async () => {
    const bytes = randomBytes(PART * 2 + 12_345);
    const plan = await start(bytes.length, tokens.ci);
    expect(plan).toMatchObject({ partSize: PART, partCount: 3, size: bytes.length });
    expect(plan.parts.map((p) => [p.partNumber, p.size])).toEqual([
      [1, PART],
      [2, PART],
      [3, 12_345],
    ]);
    for (const p of plan.parts) {
      const url = new URL(p.url);
      expect(url.searchParams.get('uploadId')).toBe(plan.uploadId);
      expect(url.searchParams.get('partNumber')).toBe(String(p.partNumber));
    }
    expect(await uploads()).toEqual([plan.uploadId]);
    const saved = JSON.parse((await store.getBuffer(`catalog/_uploads/${plan.uploadId}.json`))!.toString());
    expect(saved).toMatchObject({ uploadId: plan.uploadId, key: plan.key, size: bytes.length, tokenId: 'ci' });
    expect((await store.head(`catalog/_uploads/${plan.uploadId}.json`))?.contentType).toBe('application/json');

    const slice = (n: number) => bytes.subarray((n - 1) * PART, Math.min(bytes.length, n * PART));
    const e1 = await store.multipart.uploadPart(plan.key, plan.uploadId, 1, slice(1));
    const e2 = await store.multipart.uploadPart(plan.key, plan.uploadId, 2, slice(2));

    const status = await call('GET', `/v1/uploads/${plan.uploadId}`, undefined, tokens.ci);
    expect(status.json).toMatchObject({
      uploadId: plan.uploadId,
      partCount: 3,
      uploadedBytes: PART * 2,
      missingParts: [3],
      parts: [
        { partNumber: 1, etag: e1.etag, size: PART },
        { partNumber: 2, etag: e2.etag, size: PART },
      ],
    });
    const early = await call('POST', `/v1/uploads/${plan.uploadId}/complete`, {}, tokens.ci);
    expect(early.status).toBe(409);
    expect(early.json.error).toMatchObject({
      code: 'UPLOAD_INCOMPLETE',
      message: expect.stringMatching(/missing part\(s\) 3/),
    });

    const more = await call('POST', `/v1/uploads/${plan.uploadId}/parts`, undefined, tokens.ci);
    expect(more.json.parts.map((p: { partNumber: number; size: number }) => [p.partNumber, p.size])).toEqual([
      [3, 12_345],
    ]);
    const e3 = await store.multipart.uploadPart(plan.key, plan.uploadId, 3, slice(3));

    const done = await call(
      'POST',
      `/v1/uploads/${plan.uploadId}/complete`,
      { parts: [{ partNumber: 1, etag: `"${e1.etag.toLowerCase()}"` }] },
      tokens.ci,
    );
    expect(done.status).toBe(200);
    expect(done.json).toEqual({
      key: plan.key,
      ossPath: `oss://${BUCKET}/${plan.key}`,
      etag: `${md5Hex(e1.etag + e2.etag + e3.etag)}-3`,
      size: bytes.length,
    });
    expect(Buffer.compare((await store.getBuffer(plan.key))!, bytes)).toBe(0);
    expect(await store.head(plan.key)).toMatchObject({
      contentType: 'application/java-archive',
      objectType: 'Multipart',
    });
    expect(await store.head(`catalog/_uploads/${plan.uploadId}.json`)).toBeUndefined();
    expect((await call('GET', `/v1/uploads/${plan.uploadId}`)).json.error.code).toBe('UPLOAD_NOT_FOUND');
  });

  it('sizes parts so no file needs more than 10,000', async () => {
    build({ MAX_UPLOAD_BYTES: '5GiB' });
    const size = 10_001 * PART;
    const plan = await start(size);
    expect(plan.partCount).toBeLessThanOrEqual(10_000);
    expect(plan.partSize * plan.partCount).toBeGreaterThanOrEqual(size);
    expect(plan.parts).toHaveLength(20);
  });

  it('signs the part numbers asked for, once each, in order; refuses numbers outside the plan or too many', async () => {
    const plan = await start(PART * 3);
    const asked = await call('POST', `/v1/uploads/${plan.uploadId}/parts`, { partNumbers: [3, 1, 3] });
    expect(asked.json.parts.map((p: { partNumber: number }) => p.partNumber)).toEqual([1, 3]);
    const outside = await call('POST', `/v1/uploads/${plan.uploadId}/parts`, { partNumbers: [2, 4, 5] });
    expect(outside.json.error).toMatchObject({
      code: 'INVALID_REQUEST',
      message: 'partNumbers must be between 1 and 3 for this upload; got 4, 5.',
    });
    expect((await call('POST', `/v1/uploads/${plan.uploadId}/parts`, { partNumbers: [0] })).json.error.message).toBe(
      'part numbers start at 1.',
    );
    const many = await call('POST', `/v1/uploads/${plan.uploadId}/parts`, {
      partNumbers: Array.from({ length: 101 }, (_, i) => (i % 3) + 1),
    });
    expect(many.json.error.message).toBe('partNumbers may list at most 100 parts per request, got 101.');
  });

  it('refuses a completion whose reported ETag differs, or whose part has the wrong size', async () => {
    const plan = await start(PART + 10);
    await store.multipart.uploadPart(plan.key, plan.uploadId, 1, randomBytes(PART));
    await store.multipart.uploadPart(plan.key, plan.uploadId, 2, randomBytes(11));
    const lie = await call('POST', `/v1/uploads/${plan.uploadId}/complete`, {
      parts: [{ partNumber: 1, etag: '"00000000000000000000000000000000"' }],
    });
    expect(lie.status).toBe(409);
    const wrongSize = await call('POST', `/v1/uploads/${plan.uploadId}/complete`, {});
    expect(wrongSize.json.error).toMatchObject({
      code: 'UPLOAD_INCOMPLETE',
      message: expect.stringContaining('part 2'),
    });
    expect(await store.head(plan.key)).toBeUndefined();
  });

  it('answers 409 ALREADY_EXISTS when the name was taken while the upload ran', async () => {
    const plan = await start(PART + 1);
    await store.multipart.uploadPart(plan.key, plan.uploadId, 1, randomBytes(PART));
    await store.multipart.uploadPart(plan.key, plan.uploadId, 2, randomBytes(1));
    await store.put(plan.key, 'someone else');
    const res = await call('POST', `/v1/uploads/${plan.uploadId}/complete`, {});
    expect(res.status).toBe(409);
    expect(res.json.error).toMatchObject({
      code: 'ALREADY_EXISTS',
      message: expect.stringContaining('"overwrite": true'),
    });
    expect((await store.getBuffer(plan.key))!.toString()).toBe('someone else');
  });

  it('refuses to start when the name is taken, without leaving an upload behind', async () => {
    await store.put('artifacts/namespaces/team-a/taken.jar', 'x');
    const res = await call('POST', '/v1/uploads', { namespace: 'team-a', name: 'taken.jar', size: PART * 2 });
    expect(res.status).toBe(409);
    expect(res.json.error).toMatchObject({
      code: 'ALREADY_EXISTS',
      message: expect.stringContaining('taken.jar already exists in namespace team-a'),
    });
    expect(await uploads()).toEqual([]);
  });

  it('aborts the upload it started when its plan cannot be saved', async () => {
    store.failNext('PutObject');
    const res = await call('POST', '/v1/uploads', { namespace: 'team-a', name: 'unsaved.jar', size: PART * 2 });
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('1');
    expect(res.json.error.code).toBe('STORAGE_UNAVAILABLE');
    expect(await uploads()).toEqual([]);
    // Its part URLs were signed while the plan was being written, but never issued.
    expect(logLines.filter((l) => l.event === 'url.issued' && String(l.key).endsWith('unsaved.jar'))).toEqual([]);
  });

  it('aborts an upload and forgets its plan', async () => {
    const plan = await start(PART * 3);
    expect((await call('DELETE', `/v1/uploads/${plan.uploadId}`)).status).toBe(204);
    expect(await uploads()).toEqual([]);
    expect(logLines.filter((l) => l.event === 'upload.aborted')).toEqual([
      expect.objectContaining({ tokenId: 'admin', key: plan.key, uploadId: plan.uploadId }),
    ]);
    expect(await store.head(`catalog/_uploads/${plan.uploadId}.json`)).toBeUndefined();
    expect((await call('DELETE', `/v1/uploads/${plan.uploadId}`)).json.error.code).toBe('UPLOAD_NOT_FOUND');
  });

  it('forgets a plan whose upload OSS no longer has', async () => {
    const plan = await start(PART * 3);
    await store.multipart.abort(plan.key, plan.uploadId);
    const res = await call('GET', `/v1/uploads/${plan.uploadId}`);
    expect(res.json.error).toMatchObject({
      code: 'UPLOAD_NOT_FOUND',
      message: expect.stringContaining('no longer exists'),
    });
    expect(await store.head(`catalog/_uploads/${plan.uploadId}.json`)).toBeUndefined();
  });

  it('treats an unreadable plan as no upload', async () => {
    await store.put('catalog/_uploads/ABC.json', '{not json');
    expect((await call('GET', '/v1/uploads/ABC')).json.error.code).toBe('UPLOAD_NOT_FOUND');
    await store.put('catalog/_uploads/DEF.json', JSON.stringify({ schemaVersion: 1, uploadId: 'OTHER' }));
    expect((await call('GET', '/v1/uploads/DEF')).json.error.code).toBe('UPLOAD_NOT_FOUND');
  });

  it('keeps other namespaces out of an upload', async () => {
    const res = await call('POST', '/v1/uploads', { namespace: 'team-b', name: 'secret.jar', size: PART * 2 });
    for (const [method, path] of [
      ['GET', ''],
      ['DELETE', ''],
      ['POST', '/parts'],
      ['POST', '/complete'],
    ] as const) {
      const denied = await call(method, `/v1/uploads/${res.json.uploadId}${path}`, undefined, tokens.ci);
      expect(denied.status, `${method} ${path}`).toBe(403);
    }
    expect(await uploads()).toEqual([res.json.uploadId]);
  });
});

describe('browser form uploads', () => {
  it('pins key, size range and write headers in a PostObject policy', async () => {
    const res = await call('POST', '/v1/uploads/form', { namespace: 'team-a', name: 'form.jar', size: 100 });
    expect(res.status).toBe(201);
    expect(res.json).toMatchObject({ key: 'artifacts/namespaces/team-a/form.jar', maxSize: 100 });
    expect(res.json.fields).toMatchObject({
      key: 'artifacts/namespaces/team-a/form.jar',
      'Content-Type': 'application/java-archive',
      'x-oss-forbid-overwrite': 'true',
      success_action_status: '200',
    });
    const policy = JSON.parse(Buffer.from(res.json.fields.policy, 'base64').toString());
    expect(policy.conditions).toContainEqual(['content-length-range', 100, 100]);
    expect(JSON.stringify(res.json.fields)).not.toContain('unit-key-secret');

    const open = await call('POST', '/v1/uploads/form', { namespace: 'team-a', name: 'any.jar' });
    expect(open.json.maxSize).toBe(10 * 1024 ** 2);
    const anyPolicy = JSON.parse(Buffer.from(open.json.fields.policy, 'base64').toString());
    expect(anyPolicy.conditions).toContainEqual(['content-length-range', 1, 10 * 1024 ** 2]);
    expect((await call('POST', '/v1/uploads/form', { namespace: 'team-a', name: 'x.exe' })).json.error.code).toBe(
      'EXTENSION_NOT_ALLOWED',
    );
  });
});

describe('downloads', () => {
  it('signs a GET that saves under the file name, with the size and ETag; 404 for a missing artifact', async () => {
    await store.put('artifacts/namespaces/team-a/lib/作业-1.0.jar', Buffer.alloc(777));
    const res = await call('POST', '/v1/downloads', { namespace: 'team-a', name: 'lib/作业-1.0.jar' }, tokens.reader);
    expect(res.status).toBe(201);
    expect(res.json).toMatchObject({ size: 777, etag: md5Hex(Buffer.alloc(777)) });
    const url = new URL(res.json.url);
    expect(url.searchParams.get('response-content-disposition')).toBe(
      `attachment; filename="__-1.0.jar"; filename*=UTF-8''${encodeURIComponent('作业-1.0.jar')}`,
    );
    const missing = await call('POST', '/v1/downloads', { namespace: 'team-a', name: 'nope.jar' }, tokens.reader);
    expect(missing.status).toBe(404);
    expect(missing.json.error).toMatchObject({
      code: 'ARTIFACT_NOT_FOUND',
      message: 'nope.jar does not exist in namespace team-a.',
    });
  });

  it('answers 503 with Retry-After when OSS throttles, and logs the failure without a URL', async () => {
    store.failNext('HeadObject');
    const res = await call('POST', '/v1/downloads', { namespace: 'team-a', name: 'a.jar' });
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('1');
    expect(logLines.find((l) => l.msg === 'storage failed')).toMatchObject({ level: 'error' });
  });
});

describe('catalog', () => {
  const ns = 'team-a';
  const record = (name: string, etag: string, status = 'warning') => ({
    schemaVersion: 1,
    key: `artifacts/namespaces/${ns}/${name}`,
    ossPath: `oss://${BUCKET}/artifacts/namespaces/${ns}/${name}`,
    namespace: ns,
    name,
    size: 5,
    etag,
    sha256: 'x',
    lastModified: '2026-01-01T00:00:00.000Z',
    catalogedAt: '2026-01-01T00:00:01.000Z',
    status,
    findings: [
      { severity: 'warning', code: 'JAR_FLINK_BUNDLED', message: 'bundles Flink' },
      { severity: 'info', code: 'JAR_NOTE', message: 'note' },
    ],
    jar: { manifest: {}, entryClass: 'com.example.Job', entries: 1, classes: 1, embedded: [] },
  });

  beforeEach(async () => {
    for (const n of ['a.jar', 'b.jar', 'c.jar', 'd.jar', 'e.jar'])
      await store.put(`artifacts/namespaces/${ns}/${n}`, Buffer.from(n.padEnd(5)));
    await store.put(`artifacts/namespaces/team-b/z.jar`, 'other');
    await store.put(`catalog/artifacts/namespaces/${ns}/b.jar.json`, JSON.stringify(record('b.jar', md5Hex('b.jar'))));
  });

  it('lists a namespace page by page with catalog status', async () => {
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await call(
        'GET',
        `/v1/artifacts?namespace=${ns}&limit=2${cursor ? `&cursor=${cursor}` : ''}`,
        undefined,
        tokens.ci,
      );
      expect(page.status).toBe(200);
      expect(page.json.namespace).toBe(ns);
      seen.push(...page.json.artifacts.map((a: { name: string }) => a.name));
      cursor = page.json.cursor;
      pages += 1;
    } while (cursor);
    expect(seen).toEqual(['a.jar', 'b.jar', 'c.jar', 'd.jar', 'e.jar']);
    expect(pages).toBe(3);

    const all = await call('GET', `/v1/artifacts?namespace=${ns}`);
    expect(all.json.cursor).toBeUndefined();
    expect(all.json.artifacts.find((a: { name: string }) => a.name === 'b.jar')).toEqual({
      key: `artifacts/namespaces/${ns}/b.jar`,
      ossPath: `oss://${BUCKET}/artifacts/namespaces/${ns}/b.jar`,
      namespace: ns,
      name: 'b.jar',
      size: 5,
      etag: md5Hex('b.jar'),
      lastModified: expect.any(String),
      status: 'warning',
      catalogedAt: '2026-01-01T00:00:01.000Z',
      findings: { errors: 0, warnings: 1 },
      entryClass: 'com.example.Job',
    });
    expect(all.json.artifacts.find((a: { name: string }) => a.name === 'a.jar').status).toBe('pending');
  });

  it('refuses a cursor it did not issue for the namespace', async () => {
    const page = await call('GET', `/v1/artifacts?namespace=${ns}&limit=2`);
    const other = await call('GET', `/v1/artifacts?namespace=team-b&cursor=${page.json.cursor}`);
    expect(other.json.error).toMatchObject({ code: 'INVALID_REQUEST', message: expect.stringContaining('cursor') });
    expect((await call('GET', `/v1/artifacts?namespace=${ns}&cursor=bm90LW1pbmU`)).status).toBe(400);
    expect((await call('GET', `/v1/artifacts?namespace=${ns}&cursor=a%2Bb`)).status).toBe(400);
  });

  it('reads the record of the current object, else a pending summary; a stale or unreadable record is pending', async () => {
    expect((await call('GET', `/v1/artifacts/${ns}/b.jar`)).json).toEqual(record('b.jar', md5Hex('b.jar')));
    expect((await call('GET', `/v1/artifacts/${ns}/a.jar`)).json).toMatchObject({
      status: 'pending',
      size: 5,
      name: 'a.jar',
    });
    await store.put(`artifacts/namespaces/${ns}/b.jar`, 'new content');
    expect((await call('GET', `/v1/artifacts/${ns}/b.jar`)).json.status).toBe('pending');
    await store.put(`catalog/artifacts/namespaces/${ns}/c.jar.json`, '{"schemaVersion": 2}');
    expect((await call('GET', `/v1/artifacts/${ns}/c.jar`)).json.status).toBe('pending');
    expect((await call('GET', `/v1/artifacts/${ns}/nope.jar`)).status).toBe(404);
  });

  it('deletes artifact and record together; 404 once both are gone', async () => {
    const before = await store.head(`artifacts/namespaces/${ns}/b.jar`);
    expect((await call('DELETE', `/v1/artifacts/${ns}/b.jar`, undefined, tokens.deleter)).status).toBe(204);
    expect(logLines.filter((l) => l.event === 'artifact.deleted')).toEqual([
      expect.objectContaining({
        tokenId: 'deleter',
        key: `artifacts/namespaces/${ns}/b.jar`,
        etag: before!.etag,
        size: before!.size,
      }),
    ]);
    expect(await store.head(`artifacts/namespaces/${ns}/b.jar`)).toBeUndefined();
    expect(await store.head(`catalog/artifacts/namespaces/${ns}/b.jar.json`)).toBeUndefined();
    expect((await call('DELETE', `/v1/artifacts/${ns}/b.jar`)).json.error.code).toBe('ARTIFACT_NOT_FOUND');
    // A record left without its artifact is still removed.
    await store.put(`catalog/artifacts/namespaces/${ns}/gone.jar.json`, '{}');
    expect((await call('DELETE', `/v1/artifacts/${ns}/gone.jar`)).status).toBe(204);
    expect(await store.head(`catalog/artifacts/namespaces/${ns}/gone.jar.json`)).toBeUndefined();
    const lone = logLines.filter((l) => l.event === 'artifact.deleted').at(-1);
    expect(lone).toMatchObject({ tokenId: 'admin', key: `artifacts/namespaces/${ns}/gone.jar` });
    expect(lone).not.toHaveProperty('etag');
  });

  it('says which keys it could not delete when OSS refuses the batch', async () => {
    store.failNext(
      'DeleteMultipleObjects',
      1,
      (operation) =>
        new StorageError('OSS_ACCESS_DENIED', 'DeleteMultipleObjects failed: OSS answered 403 AccessDenied', {
          operation,
          status: 403,
        }),
    );
    const res = await call('DELETE', `/v1/artifacts/${ns}/b.jar`);
    expect(res.status).toBe(503);
    expect(res.json.error.message).toBe(
      `Could not delete artifacts/namespaces/${ns}/b.jar and catalog/artifacts/namespaces/${ns}/b.jar.json: DeleteMultipleObjects failed: OSS answered 403 AccessDenied. Try again.`,
    );
    expect(await store.head(`artifacts/namespaces/${ns}/b.jar`)).toBeDefined();
    expect(logLines.filter((l) => l.event === 'artifact.deleted')).toEqual([]);
  });
});

describe('authentication, routing and audit', () => {
  it('answers 401 without a token, 403 outside the token’s namespaces or actions', async () => {
    const none = await call('POST', '/v1/downloads', { namespace: 'team-a', name: 'x.jar' }, null);
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toBe('Bearer');
    expect((await call('POST', '/v1/downloads', { namespace: 'team-b', name: 'x.jar' }, tokens.reader)).status).toBe(
      403,
    );
    expect((await call('POST', '/v1/downloads', { namespace: 'team-a', name: 'x.jar' }, tokens.ci)).status).toBe(403);
    expect((await call('DELETE', '/v1/artifacts/team-a/x.jar', undefined, tokens.ci)).status).toBe(403);
    expect((await call('GET', '/v1/artifacts?namespace=team-a', undefined, tokens.reader)).status).toBe(200);
  });

  it('serves health and the API description without a token', async () => {
    expect((await call('GET', '/healthz', undefined, null)).json).toEqual({
      status: 'ok',
      bucket: BUCKET,
      region: 'cn-hangzhou',
      version: '1.2.3',
    });
    expect((await call('GET', '/openapi.json', undefined, null)).json.info.version).toBe('1.2.3');
  });

  it('refuses bad bodies, wrong methods and unknown routes with clear errors', async () => {
    expect((await call('POST', '/v1/uploads', '{"namespace":')).json.error.message).toMatch(/not valid JSON/);
    expect((await call('POST', '/v1/uploads', { namespace: 'team-a' })).json.error.message).toMatch(
      /name is required; size is required/,
    );
    expect((await call('POST', '/v1/uploads', { namespace: '..', name: 'a.jar', size: 1 })).json.error.code).toBe(
      'NAMESPACE_INVALID',
    );
    expect((await call('POST', '/v1/uploads', 'x'.repeat(70_000))).status).toBe(413);
    const wrong = await call('DELETE', '/v1/uploads');
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get('allow')).toBe('POST');
    expect((await call('GET', '/v2/nothing')).json.error.code).toBe('NOT_FOUND');
  });

  it('logs one url.issued event per URL with token, action, key and expiry, never a signature or token', async () => {
    const res = await call(
      'POST',
      '/v1/uploads',
      { namespace: 'team-a', name: 'audited.jar', size: PART * 2 },
      tokens.ci,
    );
    const events = logLines.filter((l) => l.event === 'url.issued');
    expect(events).toHaveLength(2);
    expect(events[0]).toMatchObject({
      tokenId: 'ci',
      action: 'upload',
      method: 'PUT',
      key: 'artifacts/namespaces/team-a/audited.jar',
      partNumber: 1,
      uploadId: res.json.uploadId,
      expiresAt: res.json.expiresAt,
      requestId: expect.any(String),
    });
    const all = JSON.stringify(logLines);
    for (const p of res.json.parts) expect(all).not.toContain(new URL(p.url).searchParams.get('x-oss-signature'));
    expect(all).not.toContain(tokens.ci);
    expect(all).not.toContain('unit-key-secret');
  });
});
