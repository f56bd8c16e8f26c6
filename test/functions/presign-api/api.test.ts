import { createHash, randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tokenDigest } from '../../../shared/presign/auth';
import { startTestStack, type TestStack } from '../../support/local-stack';

const require = createRequire(import.meta.url);
const OSS = require('ali-oss') as new (o: object) => AliClient;
interface AliClient {
  head(name: string): Promise<{ res: { headers: Record<string, string> } }>;
  get(name: string): Promise<{ content: Buffer; res: { headers: Record<string, string> } }>;
  put(name: string, body: Buffer, options?: object): Promise<unknown>;
  listV2(query: object): Promise<{ objects?: Array<{ name: string }> }>;
}

const PART = 100 * 1024;
const tokens = {
  admin: 'admin-token',
  ci: 'ci-token', // upload + list in team-a
  reader: 'reader-token', // download + list in team-a
  deleter: 'deleter-token', // upload + delete in team-a
};

let stack: TestStack;
let api: string;
let oss: AliClient;

beforeAll(async () => {
  stack = await startTestStack({
    OSS_CHUNK_SIZE: `${PART}`,
    MAX_UPLOAD_BYTES: '10MiB',
    PRESIGN_MAX_EXPIRES: '2h',
    API_TOKENS: JSON.stringify([
      { id: 'admin', sha256: tokenDigest(tokens.admin), namespaces: '*', actions: '*' },
      { id: 'ci', sha256: tokenDigest(tokens.ci), namespaces: ['team-a'], actions: ['upload', 'list'] },
      { id: 'reader', sha256: tokenDigest(tokens.reader), namespaces: ['team-a'], actions: ['download', 'list'] },
      {
        id: 'deleter',
        sha256: tokenDigest(tokens.deleter),
        namespaces: ['team-a'],
        actions: ['upload', 'delete', 'list'],
      },
    ]),
  });
  api = stack.urls['presign-api']!;
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

/** Calls the API; `token` null sends no Authorization header. */
async function call(
  method: string,
  path: string,
  body?: unknown,
  token: string | null = tokens.admin,
  headers: Record<string, string> = {},
) {
  const res = await fetch(`${api}${path}`, {
    method,
    headers: {
      ...(token && { authorization: `Bearer ${token}` }),
      ...(body !== undefined && { 'content-type': 'application/json' }),
      ...headers,
    },
    ...(body !== undefined && { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, json: text ? (JSON.parse(text) as any) : undefined };
}

function md5(bytes: Buffer): string {
  return createHash('md5').update(bytes).digest('base64');
}

describe('single-part uploads', () => {
  it('issues a URL bound to the key, method, type and size; the bytes land with the right headers', async () => {
    const bytes = randomBytes(4321);
    const issued = await call('POST', '/v1/uploads', {
      namespace: 'team-a',
      name: 'jobs/word count.jar',
      size: bytes.length,
      contentMd5: md5(bytes),
    });
    expect(issued.status).toBe(201);
    expect(issued.json).toMatchObject({
      key: 'artifacts/namespaces/team-a/jobs/word count.jar',
      ossPath: `oss://${stack.settings.bucket}/artifacts/namespaces/team-a/jobs/word count.jar`,
      method: 'PUT',
      headers: {
        'content-type': 'application/java-archive',
        'content-md5': md5(bytes),
        'x-oss-forbid-overwrite': 'true',
      },
      size: bytes.length,
    });
    expect(Date.parse(issued.json.expiresAt) - Date.now()).toBeGreaterThan(14 * 60_000);
    expect(issued.headers.get('x-request-id')).toBeTruthy();

    const put = await fetch(issued.json.url, { method: 'PUT', headers: issued.json.headers, body: bytes });
    expect(put.status).toBe(200);
    const stored = await oss.get(issued.json.key);
    expect(Buffer.compare(stored.content, bytes)).toBe(0);
    expect(stored.res.headers['content-type']).toBe('application/java-archive');
  });

  it('lets OSS refuse a second upload to the same name unless overwrite is asked for by a token that may delete', async () => {
    const first = Buffer.from('first');
    const a = await call('POST', '/v1/uploads', { namespace: 'team-a', name: 'dup.jar', size: first.length });
    expect((await fetch(a.json.url, { method: 'PUT', headers: a.json.headers, body: first })).status).toBe(200);

    const second = Buffer.from('second');
    const b = await call('POST', '/v1/uploads', { namespace: 'team-a', name: 'dup.jar', size: second.length });
    const refused = await fetch(b.json.url, { method: 'PUT', headers: b.json.headers, body: second });
    expect(refused.status).toBe(409);
    expect(await refused.text()).toContain('<Code>FileAlreadyExists</Code>');

    expect(
      (await call('POST', '/v1/uploads', { namespace: 'team-a', name: 'dup.jar', size: 6, overwrite: true }, tokens.ci))
        .json.error,
    ).toMatchObject({
      code: 'FORBIDDEN',
      message: expect.stringMatching(/overwrite: replacing an artifact needs the delete action/),
    });
    const c = await call(
      'POST',
      '/v1/uploads',
      { namespace: 'team-a', name: 'dup.jar', size: second.length, overwrite: true },
      tokens.deleter,
    );
    expect(c.json.headers['x-oss-forbid-overwrite']).toBeUndefined();
    expect((await fetch(c.json.url, { method: 'PUT', headers: c.json.headers, body: second })).status).toBe(200);
    expect((await oss.get('artifacts/namespaces/team-a/dup.jar')).content.toString()).toBe('second');
  });

  it('refuses tampered, wrong-method, wrong-size and expired URLs at OSS', async () => {
    const bytes = Buffer.from('payload-bytes');
    const issued = await call('POST', '/v1/uploads', { namespace: 'team-a', name: 'guarded.jar', size: bytes.length });
    const url = new URL(issued.json.url);

    const otherKey = new URL(url);
    otherKey.pathname = otherKey.pathname.replace('guarded.jar', 'other.jar');
    const badSig = new URL(url);
    badSig.searchParams.set(
      'x-oss-signature',
      badSig.searchParams.get('x-oss-signature')!.replace(/^./, (c) => (c === 'a' ? 'b' : 'a')),
    );
    const longer = new URL(url);
    longer.searchParams.set('x-oss-expires', '604800');
    for (const tampered of [otherKey, badSig, longer]) {
      const res = await fetch(tampered, { method: 'PUT', headers: issued.json.headers, body: bytes });
      expect(res.status).toBe(403);
      expect(await res.text()).toContain('<Code>SignatureDoesNotMatch</Code>');
    }
    expect((await fetch(url, { method: 'GET' })).status).toBe(403);
    expect(
      (await fetch(url, { method: 'PUT', headers: issued.json.headers, body: Buffer.from('payload-bytes-and-more') }))
        .status,
    ).toBe(403);
    expect(
      (
        await fetch(url, {
          method: 'PUT',
          headers: { ...issued.json.headers, 'content-type': 'text/plain' },
          body: bytes,
        })
      ).status,
    ).toBe(403);

    const short = await call('POST', '/v1/uploads', {
      namespace: 'team-a',
      name: 'late.jar',
      size: bytes.length,
      expiresIn: 1,
    });
    await new Promise((r) => setTimeout(r, 2100));
    const late = await fetch(short.json.url, { method: 'PUT', headers: short.json.headers, body: bytes });
    expect(late.status).toBe(403);
    expect(await late.text()).toMatch(/<Code>AccessDenied<\/Code>[\s\S]*Request has expired/);
  });

  it('binds the serving headers under V4: an added or changed Content-Encoding, Cache-Control or Content-Disposition is refused', async () => {
    const bytes = Buffer.from('PK not gzip');
    const issue = async (name: string) =>
      (await call('POST', '/v1/uploads', { namespace: 'team-a', name, size: bytes.length })).json;
    const a = await issue('bound/headers.jar');
    expect(a.headers).toMatchObject({ 'content-encoding': 'identity', 'cache-control': 'no-cache' });
    for (const extra of [
      { 'content-encoding': 'gzip' },
      { 'cache-control': 'public, max-age=31536000' },
      { 'content-disposition': 'inline' },
    ]) {
      const refused = await fetch(a.url, { method: 'PUT', headers: { ...a.headers, ...extra }, body: bytes });
      expect(refused.status).toBe(403);
      expect(await refused.text()).toContain('<Code>SignatureDoesNotMatch</Code>');
    }
    // The same URL without the header (the request the API described) still works, stored as decided.
    const b = await issue('bound/added.jar');
    const withGzip = { ...b.headers } as Record<string, string>;
    delete withGzip['content-encoding'];
    const added = await fetch(b.url, {
      method: 'PUT',
      headers: { ...withGzip, 'Content-Encoding': 'gzip' },
      body: bytes,
    });
    expect(added.status).toBe(403);
    expect((await fetch(a.url, { method: 'PUT', headers: a.headers, body: bytes })).status).toBe(200);
    const stored = await oss.head(a.key);
    expect(stored.res.headers['content-encoding']).toBe('identity');
  });

  it('signs URLs for the acceleration endpoint when asked', async () => {
    const issued = await call('POST', '/v1/uploads', {
      namespace: 'team-a',
      name: 'fast.jar',
      size: 10,
      accelerate: true,
    });
    expect(new URL(issued.json.url).host).toBe(`${stack.settings.bucket}.oss-accelerate.aliyuncs.com`);
  });
});

describe('multipart uploads', () => {
  it('uploads three parts, survives an interruption after two, resumes and completes with matching bytes', async () => {
    const bytes = randomBytes(PART * 2 + 12_345);
    const plan = await call(
      'POST',
      '/v1/uploads',
      { namespace: 'team-a', name: 'big/fat.jar', size: bytes.length },
      tokens.ci,
    );
    expect(plan.status).toBe(201);
    expect(plan.json).toMatchObject({ partSize: PART, partCount: 3, size: bytes.length });
    expect(plan.json.parts.map((p: { partNumber: number; size: number }) => [p.partNumber, p.size])).toEqual([
      [1, PART],
      [2, PART],
      [3, 12_345],
    ]);
    const slice = (n: number) => bytes.subarray((n - 1) * PART, Math.min(bytes.length, n * PART));
    for (const part of plan.json.parts.slice(0, 2)) {
      expect((await fetch(part.url, { method: 'PUT', body: slice(part.partNumber) })).status).toBe(200);
    }

    // The client died here. Later it asks what arrived and for the rest.
    const status = await call('GET', `/v1/uploads/${plan.json.uploadId}`, undefined, tokens.ci);
    expect(status.json).toMatchObject({ partCount: 3, uploadedBytes: PART * 2, missingParts: [3] });
    const early = await call('POST', `/v1/uploads/${plan.json.uploadId}/complete`, {}, tokens.ci);
    expect(early.status).toBe(409);
    expect(early.json.error.message).toMatch(/missing part\(s\) 3/);

    const more = await call('POST', `/v1/uploads/${plan.json.uploadId}/parts`, {}, tokens.ci);
    expect(more.json.parts.map((p: { partNumber: number }) => p.partNumber)).toEqual([3]);
    expect((await fetch(more.json.parts[0].url, { method: 'PUT', body: slice(3) })).status).toBe(200);

    const done = await call('POST', `/v1/uploads/${plan.json.uploadId}/complete`, {}, tokens.ci);
    expect(done.status).toBe(200);
    expect(done.json.etag).toMatch(/^[0-9A-F]{32}-3$/);
    const stored = await oss.get('artifacts/namespaces/team-a/big/fat.jar');
    expect(Buffer.compare(stored.content, bytes)).toBe(0);
    // The plan is gone with the upload.
    expect((await call('GET', `/v1/uploads/${plan.json.uploadId}`, undefined, tokens.ci)).status).toBe(404);
  });

  it('refuses a part of the wrong size and checks reported ETags', async () => {
    const size = PART + 10;
    const plan = await call('POST', '/v1/uploads', { namespace: 'team-a', name: 'parts.jar', size });
    const wrong = await fetch(plan.json.parts[1].url, { method: 'PUT', body: randomBytes(11) });
    expect(wrong.status).toBe(403);
    await fetch(plan.json.parts[0].url, { method: 'PUT', body: randomBytes(PART) });
    await fetch(plan.json.parts[1].url, { method: 'PUT', body: randomBytes(10) });
    const lie = await call('POST', `/v1/uploads/${plan.json.uploadId}/complete`, {
      parts: [{ partNumber: 1, etag: '"00000000000000000000000000000000"' }],
    });
    expect(lie.status).toBe(409);
    expect(lie.json.error.message).toMatch(/Part 1 in OSS does not have ETag/);
  });

  it('aborts an upload, after which it is gone', async () => {
    const plan = await call('POST', '/v1/uploads', { namespace: 'team-a', name: 'abandoned.jar', size: PART * 3 });
    expect((await call('DELETE', `/v1/uploads/${plan.json.uploadId}`)).status).toBe(204);
    expect((await call('GET', `/v1/uploads/${plan.json.uploadId}`)).json.error.code).toBe('UPLOAD_NOT_FOUND');
    expect((await fetch(plan.json.parts[0].url, { method: 'PUT', body: randomBytes(PART) })).status).toBe(404);
  });

  it('keeps other namespaces out of an upload', async () => {
    const plan = await call('POST', '/v1/uploads', { namespace: 'team-b', name: 'secret.jar', size: PART * 2 });
    expect((await call('GET', `/v1/uploads/${plan.json.uploadId}`, undefined, tokens.ci)).status).toBe(403);
    expect((await call('DELETE', `/v1/uploads/${plan.json.uploadId}`, undefined, tokens.ci)).status).toBe(403);
  });
});

describe('browser form uploads', () => {
  async function post(form: { url: string; fields: Record<string, string> }, file: Buffer) {
    const body = new FormData();
    for (const [k, v] of Object.entries(form.fields)) body.append(k, v);
    body.append('file', new Blob([new Uint8Array(file)]), 'file.jar');
    return fetch(form.url, { method: 'POST', body });
  }

  it('accepts a file of the declared size and refuses one over it', async () => {
    const form = await call('POST', '/v1/uploads/form', { namespace: 'team-a', name: 'form.jar', size: 100 });
    expect(form.status).toBe(201);
    expect(form.json.fields).toMatchObject({
      key: 'artifacts/namespaces/team-a/form.jar',
      'x-oss-forbid-overwrite': 'true',
    });
    const tooBig = await post(form.json, randomBytes(101));
    expect(tooBig.status).toBe(400);
    expect(await tooBig.text()).toContain('<Code>EntityTooLarge</Code>');
    const ok = await post(form.json, randomBytes(100));
    expect(ok.status).toBe(200);
    expect((await oss.head('artifacts/namespaces/team-a/form.jar')).res.headers['content-length']).toBe('100');
  });
});

describe('browser form uploads: what the policy pins', () => {
  async function postForm(url: string, fields: Record<string, string>, file: Buffer): Promise<Response> {
    const body = new FormData();
    for (const [k, v] of Object.entries(fields)) body.append(k, v);
    body.append('file', new Blob([new Uint8Array(file)]), 'file.jar');
    return fetch(url, { method: 'POST', body });
  }

  it('refuses a form that makes the artifact public or changes how it is stored and served', async () => {
    const form = await call('POST', '/v1/uploads/form', { namespace: 'team-a', name: 'pinned/form.jar', size: 10 });
    expect(form.json.fields).toMatchObject({ 'x-oss-object-acl': 'default', 'x-oss-storage-class': 'Standard' });
    const file = randomBytes(10);
    for (const extra of [
      { 'x-oss-object-acl': 'public-read' },
      { 'x-oss-storage-class': 'Archive' },
      { 'Content-Encoding': 'gzip' },
      { 'Cache-Control': 'public, max-age=31536000' },
      { 'Content-Disposition': 'inline' },
    ]) {
      const refused = await postForm(form.json.url, { ...form.json.fields, ...extra }, file);
      expect(refused.status).toBe(403);
      expect(await refused.text()).toContain('Policy Condition failed');
    }
    const ok = await postForm(form.json.url, form.json.fields, file);
    expect(ok.status).toBe(200);
    const objectUrl = `${stack.ossEndpoint}/${stack.settings.bucket}/${form.json.key}`;
    expect((await fetch(objectUrl)).status).toBe(403);
    const head = await oss.head(form.json.key);
    expect(head.res.headers['x-oss-storage-class']).toBe('Standard');
    expect(head.res.headers['content-encoding']).toBe('identity');
  });
});

describe('downloads', () => {
  it('returns a URL that serves the bytes under the file name, and 404 for a missing artifact', async () => {
    const bytes = randomBytes(777);
    await oss.put('artifacts/namespaces/team-a/lib/作业-1.0.jar', bytes);
    const issued = await call(
      'POST',
      '/v1/downloads',
      { namespace: 'team-a', name: 'lib/作业-1.0.jar' },
      tokens.reader,
    );
    expect(issued.status).toBe(201);
    expect(issued.json).toMatchObject({ size: 777 });
    const res = await fetch(issued.json.url);
    expect(res.status).toBe(200);
    expect(Buffer.compare(Buffer.from(await res.arrayBuffer()), bytes)).toBe(0);
    expect(res.headers.get('content-disposition')).toBe(
      `attachment; filename="__-1.0.jar"; filename*=UTF-8''${encodeURIComponent('作业-1.0.jar')}`,
    );
    expect((await fetch(issued.json.url, { method: 'PUT', body: 'x' })).status).toBe(403);

    const missing = await call('POST', '/v1/downloads', { namespace: 'team-a', name: 'nope.jar' }, tokens.reader);
    expect(missing.status).toBe(404);
    expect(missing.json.error.code).toBe('ARTIFACT_NOT_FOUND');
  });
});

describe('catalog', () => {
  it('lists a namespace page by page with catalog status, reads records and deletes artifact and record together', async () => {
    const ns = 'catalog-ns';
    for (const n of ['a.jar', 'b.jar', 'c.jar', 'd.jar', 'e.jar'])
      await oss.put(`artifacts/namespaces/${ns}/${n}`, Buffer.from(n));
    // artifact-catalog runs in the stack too: let it give its verdicts first, so the record written
    // below is not replaced by one it was already writing.
    for (const n of ['a.jar', 'b.jar', 'c.jar', 'd.jar', 'e.jar']) {
      const until = Date.now() + 30_000;
      while ((await call('GET', `/v1/artifacts/${ns}/${n}`)).json.status === 'pending') {
        if (Date.now() > until) throw new Error(`${n} was not catalogued`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
    const head = await oss.head(`artifacts/namespaces/${ns}/b.jar`);
    const etag = head.res.headers.etag!.replace(/"/g, '');
    const record = {
      schemaVersion: 1,
      key: `artifacts/namespaces/${ns}/b.jar`,
      ossPath: `oss://${stack.settings.bucket}/artifacts/namespaces/${ns}/b.jar`,
      namespace: ns,
      name: 'b.jar',
      size: 5,
      etag,
      sha256: 'x',
      lastModified: new Date().toISOString(),
      catalogedAt: new Date().toISOString(),
      status: 'warning',
      findings: [{ severity: 'warning', code: 'JAR_FLINK_BUNDLED', message: 'bundles Flink' }],
      jar: { manifest: {}, entryClass: 'com.example.Job', entries: 1, classes: 1, embedded: [] },
    };
    await oss.put(`catalog/artifacts/namespaces/${ns}/b.jar.json`, Buffer.from(JSON.stringify(record)));

    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await call('GET', `/v1/artifacts?namespace=${ns}&limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.status).toBe(200);
      seen.push(...page.json.artifacts.map((a: { name: string }) => a.name));
      cursor = page.json.cursor;
      pages += 1;
    } while (cursor);
    expect(seen).toEqual(['a.jar', 'b.jar', 'c.jar', 'd.jar', 'e.jar']);
    expect(pages).toBe(3);

    const list = await call('GET', `/v1/artifacts?namespace=${ns}`);
    const b = list.json.artifacts.find((a: { name: string }) => a.name === 'b.jar');
    expect(b).toMatchObject({ status: 'warning', findings: { errors: 0, warnings: 1 }, entryClass: 'com.example.Job' });
    // "a.jar" holds 5 bytes of text: the catalog's verdict.
    expect(list.json.artifacts.find((a: { name: string }) => a.name === 'a.jar').status).toBe('invalid');

    expect((await call('GET', `/v1/artifacts/${ns}/b.jar`)).json).toEqual(record);
    expect((await call('GET', `/v1/artifacts/${ns}/a.jar`)).json).toMatchObject({ status: 'invalid', size: 5 });
    // A record of an older version of the object does not count.
    await oss.put(
      `catalog/artifacts/namespaces/${ns}/b.jar.json`,
      Buffer.from(JSON.stringify({ ...record, etag: 'OLDER0000000000000000000000000000' })),
    );
    expect((await call('GET', `/v1/artifacts/${ns}/b.jar`)).json.status).toBe('pending');

    expect((await call('DELETE', `/v1/artifacts/${ns}/b.jar`)).status).toBe(204);
    const left = await oss.listV2({ prefix: '', 'max-keys': 1000 });
    const names = (left.objects ?? []).map((o) => o.name);
    expect(names).not.toContain(`artifacts/namespaces/${ns}/b.jar`);
    expect(names).not.toContain(`catalog/artifacts/namespaces/${ns}/b.jar.json`);
    expect((await call('DELETE', `/v1/artifacts/${ns}/b.jar`)).status).toBe(404);
    expect((await call('GET', `/v1/artifacts?namespace=${ns}&cursor=bm90LW1pbmU`)).json.error.code).toBe(
      'INVALID_REQUEST',
    );
  });
});

describe('authorization matrix', () => {
  const routes: Array<{ name: string; method: string; path: string; body?: unknown; action: string }> = [
    {
      name: 'upload',
      method: 'POST',
      path: '/v1/uploads',
      body: { namespace: 'team-b', name: 'x.jar', size: 10 },
      action: 'upload',
    },
    {
      name: 'form',
      method: 'POST',
      path: '/v1/uploads/form',
      body: { namespace: 'team-b', name: 'x.jar' },
      action: 'upload',
    },
    {
      name: 'download',
      method: 'POST',
      path: '/v1/downloads',
      body: { namespace: 'team-b', name: 'x.jar' },
      action: 'download',
    },
    { name: 'list', method: 'GET', path: '/v1/artifacts?namespace=team-b', action: 'list' },
    { name: 'get', method: 'GET', path: '/v1/artifacts/team-b/x.jar', action: 'list' },
    { name: 'delete', method: 'DELETE', path: '/v1/artifacts/team-b/x.jar', action: 'delete' },
  ];

  for (const route of routes) {
    it(`${route.name}: 401 without or with an unknown token, 403 outside the token's namespaces or actions`, async () => {
      const none = await call(route.method, route.path, route.body, null);
      expect(none.status).toBe(401);
      expect(none.headers.get('www-authenticate')).toBe('Bearer');
      expect(none.json.error).toMatchObject({ code: 'UNAUTHENTICATED', requestId: expect.any(String) });
      expect((await call(route.method, route.path, route.body, 'unknown-token')).status).toBe(401);
      // The namespace is outside every scoped token.
      for (const token of [tokens.ci, tokens.reader, tokens.deleter]) {
        const res = await call(route.method, route.path, route.body, token);
        expect(res.status).toBe(403);
        expect(res.json.error.code).toBe('FORBIDDEN');
      }
      // Inside team-a, only tokens with the action get past authorization.
      const inTeamA = route.path.replace('team-b', 'team-a');
      const bodyA = route.body && JSON.parse(JSON.stringify(route.body).replace('team-b', 'team-a'));
      const allowed = {
        ci: ['upload', 'list'],
        reader: ['download', 'list'],
        deleter: ['upload', 'delete', 'list'],
      } as const;
      for (const [id, actions] of Object.entries(allowed)) {
        const res = await call(route.method, inTeamA, bodyA, tokens[id as keyof typeof tokens]);
        if ((actions as readonly string[]).includes(route.action))
          expect(res.status, `${id} ${route.name}`).not.toBe(403);
        else expect(res.status, `${id} ${route.name}`).toBe(403);
      }
    });
  }

  it('needs no token for health and the API description', async () => {
    expect((await call('GET', '/healthz', undefined, null)).json).toMatchObject({ status: 'ok' });
    const doc = await call('GET', '/openapi.json', undefined, null);
    expect(doc.json.openapi).toBe('3.0.3');
    expect(Object.keys(doc.json.paths)).toEqual(
      expect.arrayContaining([
        '/v1/uploads',
        '/v1/uploads/{uploadId}/complete',
        '/v1/downloads',
        '/v1/artifacts/{namespace}/{name}',
      ]),
    );
    const upload = doc.json.paths['/v1/uploads'].post.requestBody.content['application/json'].schema;
    expect(upload.required).toEqual(['namespace', 'name', 'size']);
    expect(upload.additionalProperties).toBe(false);
  });
});

describe('bad input', () => {
  const valid = { namespace: 'team-a', name: 'ok.jar', size: 10 };
  it.each([
    ['malformed JSON', '{"namespace":', 400, 'INVALID_REQUEST', /not valid JSON/],
    ['a JSON array', '[]', 400, 'INVALID_REQUEST', /must be a JSON object/],
    [
      'an unknown field',
      { ...valid, owner: 'me' },
      400,
      'INVALID_REQUEST',
      /unknown field "owner"; allowed: namespace, name, size/,
    ],
    ['missing fields', { namespace: 'team-a' }, 400, 'INVALID_REQUEST', /name is required; size is required/],
    ['a namespace with ..', { ...valid, namespace: '..' }, 400, 'NAMESPACE_INVALID', /contains a "\.\." path segment/],
    ['a name with ..', { ...valid, name: 'a/../../etc/x.jar' }, 400, 'NAME_INVALID', /contains a "\.\." path segment/],
    ['a leading /', { ...valid, name: '/x.jar' }, 400, 'NAME_INVALID', /starts with "\/"/],
    ['a backslash', { ...valid, name: 'a\\x.jar' }, 400, 'NAME_INVALID', /contains "\\"/],
    ['a control character', { ...valid, name: 'a\u0007.jar' }, 400, 'NAME_INVALID', /control character/],
    [
      'a bidi override',
      { ...valid, name: 'a\u202erac.jar' },
      400,
      'NAME_INVALID',
      /U\+202E \(RIGHT-TO-LEFT OVERRIDE\)/,
    ],
    [
      'over 1023 bytes',
      { ...valid, name: `${'n'.repeat(1020)}.jar` },
      400,
      'NAME_INVALID',
      /is longer than 1023 bytes in UTF-8/,
    ],
    ['size 0', { ...valid, size: 0 }, 400, 'INVALID_REQUEST', /size must be greater than 0/],
    ['a negative size', { ...valid, size: -1 }, 400, 'INVALID_REQUEST', /size must be greater than 0/],
    [
      'an extension not allowed',
      { ...valid, name: 'x.exe' },
      400,
      'EXTENSION_NOT_ALLOWED',
      /must end with one of \.jar, \.py, \.zip/,
    ],
    ['an expiry too long', { ...valid, expiresIn: 7201 }, 400, 'EXPIRY_OUT_OF_RANGE', /between 1 and 7200 seconds/],
    [
      'a size over the limit',
      { ...valid, size: 10 * 1024 * 1024 + 1 },
      413,
      'UPLOAD_TOO_LARGE',
      /larger than the 10485760 bytes/,
    ],
  ])('refuses %s with a message that says what is wrong', async (_, body, status, code, message) => {
    const res = await call('POST', '/v1/uploads', body);
    expect(res.status).toBe(status);
    expect(res.json.error.code).toBe(code);
    expect(res.json.error.message).toMatch(message);
  });

  it('refuses a body that is not JSON, a wrong method and an unknown route', async () => {
    expect((await call('POST', '/v1/uploads', 'x', tokens.admin, { 'content-type': 'text/plain' })).status).toBe(415);
    // PUT is not among the HTTP trigger's methods in s.yaml, so FC (here, the local runtime) refuses it.
    expect((await call('PUT', '/v1/uploads', {})).status).toBe(405);
    const wrong = await call('DELETE', '/v1/uploads');
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get('allow')).toBe('POST');
    expect((await call('GET', '/v2/nothing')).json.error.code).toBe('NOT_FOUND');
  });
});

describe('audit', () => {
  it('writes one structured event per issued URL with token, action, key and expiry, never the signature', async () => {
    const issued = await call('POST', '/v1/uploads', { namespace: 'team-a', name: 'audited.jar', size: 3 }, tokens.ci);
    const signature = new URL(issued.json.url).searchParams.get('x-oss-signature')!;
    const token = new URL(issued.json.url).searchParams.get('x-oss-security-token')!;
    const lines = stack.output.map((l) => l.text).filter((t) => t.includes('url.issued'));
    const event = lines.map((l) => JSON.parse(l)).find((e) => e.key === issued.json.key);
    expect(event).toMatchObject({
      event: 'url.issued',
      tokenId: 'ci',
      action: 'upload',
      method: 'PUT',
      expiresAt: issued.json.expiresAt,
    });
    const all = stack.output.map((l) => l.text).join('\n');
    expect(all).not.toContain(signature);
    expect(all).not.toContain(token);
    expect(all).not.toContain(tokens.ci);
  });
});
