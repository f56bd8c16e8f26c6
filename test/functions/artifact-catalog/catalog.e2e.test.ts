import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildZip, classFile, jobJar, pom } from '../../support/jar-builder';
import { startTestStack, type TestStack } from '../../support/local-stack';

const require = createRequire(import.meta.url);
const OSS = require('ali-oss') as new (
  o: object,
) => { head(name: string): Promise<unknown>; getObjectTagging(name: string): Promise<{ tag: Record<string, string> }> };

let stack: TestStack;
let api: string;
const token = () => stack.settings.apiToken;

beforeAll(async () => {
  stack = await startTestStack({ CATALOG_FLINK_VERSION: '1.17' });
  api = stack.urls['presign-api']!;
}, 120_000);

afterAll(async () => {
  await stack?.close();
});

/** The real ali-oss client on the local OSS server. */
function client() {
  return new OSS({
    endpoint: stack.ossEndpoint,
    sldEnable: true,
    region: 'oss-cn-hangzhou',
    bucket: stack.settings.bucket,
    accessKeyId: stack.settings.accessKeyId,
    accessKeySecret: stack.settings.accessKeySecret,
    authorizationV4: true,
  });
}

/** Whether an object exists, asked of the local OSS server. */
async function exists(key: string): Promise<boolean> {
  try {
    await client().head(key);
    return true;
  } catch (error) {
    if ((error as { status?: number }).status === 404) return false;
    throw error;
  }
}

async function call(method: string, path: string, body?: unknown) {
  const res = await fetch(`${api}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token()}`,
      ...(body !== undefined && { 'content-type': 'application/json' }),
    },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, json: text ? (JSON.parse(text) as any) : undefined };
}

/** Uploads through a presigned URL, as a CI pipeline does. */
async function upload(namespace: string, name: string, bytes: Buffer, overwrite = false) {
  const plan = await call('POST', '/v1/uploads', { namespace, name, size: bytes.length, overwrite });
  expect(plan.status).toBe(201);
  const put = await fetch(plan.json.url, { method: 'PUT', headers: plan.json.headers, body: new Uint8Array(bytes) });
  expect(put.status).toBe(200);
  return put.headers.get('etag')!.replace(/"/g, '');
}

/** Polls the record until the OSS event has been handled for `etag`. */
async function recordFor(namespace: string, name: string, etag: string, timeoutMs = 20_000) {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const r = await call('GET', `/v1/artifacts/${namespace}/${name}`);
    if (r.status === 200 && r.json.status !== 'pending' && r.json.etag === etag) return r.json;
    if (Date.now() > until)
      throw new Error(`no record for ${name} (${etag}) within ${timeoutMs} ms: ${JSON.stringify(r.json)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('artifact-catalog on the local stack', () => {
  it('catalogs a clean job JAR uploaded through a presigned URL: record, listing status and SBOM', async () => {
    const etag = await upload('team-a', 'job.jar', jobJar([pom('com.google.guava', 'guava', '32.1.0-jre')]));
    const record = await recordFor('team-a', 'job.jar', etag);
    expect(record).toMatchObject({
      schemaVersion: 1,
      key: 'artifacts/namespaces/team-a/job.jar',
      status: 'valid',
      findings: [],
      jar: { entryClass: 'com.example.Job', maxClassVersion: { major: 55, java: 11 } },
    });
    expect(record.sha256).toMatch(/^[0-9a-f]{64}$/);
    // The verdict is on the object itself, for the OSS console.
    expect((await client().getObjectTagging('artifacts/namespaces/team-a/job.jar')).tag).toEqual({
      'artifact-status': 'valid',
    });

    const list = await call('GET', '/v1/artifacts?namespace=team-a');
    expect(list.json.artifacts.find((a: { name: string }) => a.name === 'job.jar')).toMatchObject({ status: 'valid' });

    const sbom = await call('GET', '/v1/artifacts/team-a/job.jar/sbom');
    expect(sbom.status).toBe(200);
    expect(sbom.headers.get('content-type')).toContain('application/vnd.cyclonedx+json');
    expect(sbom.json).toMatchObject({ bomFormat: 'CycloneDX', specVersion: '1.5' });
    expect(sbom.json.metadata.component.hashes).toEqual([{ alg: 'SHA-256', content: record.sha256 }]);
    expect(sbom.json.components.map((c: { purl?: string }) => c.purl)).toContain(
      'pkg:maven/com.google.guava/guava@32.1.0-jre',
    );

    const openapi = await fetch(`${api}/openapi.json`).then((r) => r.json() as Promise<any>);
    expect(openapi.paths['/v1/artifacts/{namespace}/{name}/sbom'].get).toBeDefined();
  }, 60_000);

  it('marks a broken JAR invalid with actionable findings, including nested ones', async () => {
    const inner = buildZip([pom('org.apache.logging.log4j', 'log4j-core', '2.14.1')]);
    const jar = jobJar([
      { name: 'x/New.class', data: classFile(61) },
      pom('org.apache.flink', 'flink-core', '1.15.4'),
      { name: 'lib/log.jar', data: inner },
    ]);
    const etag = await upload('team-a', 'broken.jar', jar);
    const record = await recordFor('team-a', 'broken.jar', etag);
    expect(record.status).toBe('invalid');
    expect(record.findings.map((f: { code: string }) => f.code).sort()).toEqual([
      'JAR_CLASS_VERSION',
      'JAR_FLINK_BUNDLED',
      'JAR_FLINK_VERSION_MISMATCH',
      'JAR_VULNERABLE_LIBRARY',
    ]);
    const vuln = record.findings.find((f: { code: string }) => f.code === 'JAR_VULNERABLE_LIBRARY');
    expect(vuln.path).toBe('lib/log.jar');
    expect(vuln.cves).toContain('CVE-2021-44228');
  }, 60_000);

  it('gives non-JAR artifacts a record with a hash and basic checks; no SBOM', async () => {
    const etag = await upload('team-a', 'deps.zip', Buffer.from('this is not a zip'));
    const record = await recordFor('team-a', 'deps.zip', etag);
    expect(record.findings.map((f: { code: string }) => f.code)).toEqual(['ARCHIVE_NOT_ZIP']);
    expect((await call('GET', '/v1/artifacts/team-a/deps.zip/sbom')).json.error.code).toBe('SBOM_NOT_FOUND');
  }, 60_000);

  it('re-validates an overwritten artifact and removes the record and SBOM when the artifact is deleted', async () => {
    const first = await upload('team-b', 'app.jar', jobJar([], { mainClass: 'com.example.Missing' }));
    expect((await recordFor('team-b', 'app.jar', first)).status).toBe('invalid');
    const second = await upload('team-b', 'app.jar', jobJar(), true);
    expect((await recordFor('team-b', 'app.jar', second)).status).toBe('valid');

    expect((await call('DELETE', '/v1/artifacts/team-b/app.jar')).status).toBe(204);
    const recordKey = 'catalog/artifacts/namespaces/team-b/app.jar.json';
    const sbomKey = 'catalog/_sbom/artifacts/namespaces/team-b/app.jar.cdx.json';
    const until = Date.now() + 20_000;
    while ((await exists(recordKey)) || (await exists(sbomKey))) {
      if (Date.now() > until) throw new Error('record and SBOM not removed after the artifact was deleted');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect((await call('GET', '/v1/artifacts/team-b/app.jar')).status).toBe(404);
  }, 60_000);
});
