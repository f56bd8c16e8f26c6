/**
 * End to end: plain Node.js functions (test/fixtures/user-functions, no bundler) run by the local runtime
 * as FC runs them: the code directory is the package root (module type, package lookup), FC's built-in
 * modules resolve and nothing else from the repository does, and cloud endpoints of the local region
 * reach the local OSS server and the runtime's InvokeFunction API.
 */
import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mintTemporaryCredentials, type RunningOssServer, startOssServer } from '../../../local/oss';
import type { OutputLine } from '../../../local/runtime/instance';
import { type LocalRuntime, startRuntime } from '../../../local/runtime/runtime';
import { parseStack } from '../../../local/runtime/s-yaml';
import { ROOT } from '../../../scripts/build';

const require = createRequire(import.meta.url);
const USER_FUNCTIONS = join(ROOT, 'test/fixtures/user-functions');
const ROOT_KEY = { accessKeyId: 'test-root-key', accessKeySecret: 'test-root-secret' };
const BUCKET = 'user-functions-bucket';
const REGION = 'cn-hangzhou';

/** An fc3 resource for one fixture folder, as a user would add it to s.yaml. */
function resource(name: string, code: string, extra = ''): string {
  return `
  ${name}:
    component: fc3
    props:
      region: ${REGION}
      functionName: user-${name}
      runtime: nodejs20
      code: ${code}
      handler: index.handler
      # Generous: the timeout bounds loading too, and ES modules start loader hooks on a busy machine.
      timeout: 60
      role: acs:ram::1000000000000000:role/user-functions
      environmentVariables:
        BUCKET: ${BUCKET}
${extra}`;
}

const bundledDir = realpathSync(mkdtempSync(join(tmpdir(), 'user-fn-bundled-')));
const stackText = `edition: 3.0.0
name: user-functions
access: default
resources:${[
  'cjs-callback',
  'esm',
  'json-event',
  'oss-writer',
  'fc2-caller',
  'esm-package',
  'esm-imports-cjs',
  'fetch-oss',
]
  .map((name) => resource(name, join(USER_FUNCTIONS, name)))
  .join('')}${resource(
  'http-echo',
  join(USER_FUNCTIONS, 'http-echo'),
  `      triggers:
        - triggerName: http
          triggerType: http
          triggerConfig:
            authType: anonymous
            methods: [GET, POST]
`,
)}${resource('bundled', bundledDir)}
`;

let oss: RunningOssServer;
let runtime: LocalRuntime;
const output: OutputLine[] = [];

beforeAll(async () => {
  // A code directory that bundles its own dependencies, one of them shadowing a built-in module.
  mkdirSync(join(bundledDir, 'node_modules/greeter'), { recursive: true });
  writeFileSync(join(bundledDir, 'node_modules/greeter/index.js'), 'module.exports = (n) => `hi ${n}`;\n');
  mkdirSync(join(bundledDir, 'node_modules/ali-oss'), { recursive: true });
  writeFileSync(
    join(bundledDir, 'node_modules/ali-oss/package.json'),
    '{ "name": "ali-oss", "version": "0.0.0-bundled", "main": "index.js" }\n',
  );
  writeFileSync(join(bundledDir, 'node_modules/ali-oss/index.js'), 'module.exports = "bundled ali-oss";\n');
  writeFileSync(
    join(bundledDir, 'index.js'),
    [
      "const greet = require('greeter');",
      "const oss = require('ali-oss');",
      "const fc2 = require('@alicloud/fc2/package.json');",
      'exports.handler = async () => ({ greeting: greet("there"), oss, fc2: fc2.version });',
      '',
    ].join('\n'),
  );

  oss = await startOssServer({ port: 0, host: '127.0.0.1', region: REGION, accessKeys: [ROOT_KEY], buckets: [BUCKET] });
  runtime = await startRuntime({
    stack: parseStack(stackText, join(ROOT, 's.user-functions.yaml')),
    credentials: () => {
      const c = mintTemporaryCredentials(ROOT_KEY, 3600);
      return { accessKeyId: c.accessKeyId, accessKeySecret: c.accessKeySecret, securityToken: c.securityToken };
    },
    cloudRoutes: { region: REGION, ossPort: oss.port },
    timers: false,
    output: (line) => output.push(line),
    log: () => undefined,
  });
}, 60_000);

afterAll(async () => {
  await runtime?.close();
  await oss?.close();
  rmSync(bundledDir, { recursive: true, force: true });
});

async function invokeJson(name: string, event: object = {}): Promise<any> {
  const result = await runtime.invoke(name, event);
  if (result.error) throw new Error(`${name} failed: ${result.payload.toString()}`);
  return JSON.parse(result.payload.toString());
}

describe('module type, as FC sees the code directory', () => {
  it('loads a CommonJS index.js inside a repository whose package.json says "type": "module"', async () => {
    const result = await runtime.invoke('cjs-callback', 'ping');
    expect(result.error).toBeUndefined();
    expect(result.payload.toString()).toBe(`hello from user-cjs-callback on ${process.platform}, event ping`);
  });

  it('loads an ES module index.mjs and resolves a built-in module for it', async () => {
    expect(await invokeJson('esm')).toMatchObject({ module: 'esm', answer: 42, region: REGION });
  });

  it('treats .js as ESM where the code directory has its own package.json with "type": "module"', async () => {
    expect(await invokeJson('esm-package')).toEqual({ module: 'esm-package', platform: process.platform });
  });

  it('keeps a .js helper imported from an ES module CommonJS', async () => {
    expect(await invokeJson('esm-imports-cjs')).toEqual({
      module: 'esm-imports-cjs',
      helper: 'commonjs helper, exports is object',
    });
  });

  it('parses a JSON event and reports a bad one as FC error payload', async () => {
    expect(await invokeJson('json-event', { name: 'flink', items: [1, 2, 3] })).toEqual({
      greeting: 'hello, flink',
      items: 3,
      function: 'user-json-event',
    });
    const bad = await runtime.invoke('json-event', { nom: 1 });
    expect(bad.error).toMatchObject({ errorType: 'Error', errorMessage: 'the event needs a "name" string' });
  });

  it('echoes an HTTP request body through the HTTP trigger', async () => {
    const body = Buffer.from([0, 1, 2, 250, 255]);
    const res = await fetch(`${runtime.urls['user-http-echo']}/some/path?x=1`, {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream' },
      body,
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-echo-path')).toBe('/some/path');
    expect(Buffer.from(await res.arrayBuffer())).toEqual(body);
  });
});

describe('package lookup', () => {
  it('resolves FC built-in modules at the documented versions, not the repository copies', async () => {
    const { aliOssVersion } = await invokeJson('oss-writer', { key: 'probe/version.txt', text: 'v' });
    expect(aliOssVersion).toBe('6.19.0');
    // The repository's own ali-oss is another version, so the assertion above can tell them apart.
    expect(require('ali-oss/package.json').version).not.toBe('6.19.0');
  });

  it('prefers what the code directory bundles, over built-ins', async () => {
    expect(await invokeJson('bundled')).toEqual({ greeting: 'hi there', oss: 'bundled ali-oss', fc2: '2.6.6' });
  });

  for (const [name, folder] of [
    ['require', 'unbundled-dependency'],
    ['import', 'esm-unbundled-dependency'],
  ] as const) {
    it(`refuses to ${name} a package that is only in the repository's node_modules, naming it`, async () => {
      const stack = parseStack(
        `edition: 3.0.0\nname: x\nresources:${resource(folder, join(USER_FUNCTIONS, folder))}`,
        join(ROOT, 's.unbundled.yaml'),
      );
      const lines: OutputLine[] = [];
      const error = await startRuntime({ stack, invokeApi: false, timers: false, output: (l) => lines.push(l) }).then(
        async (r) => {
          await r.close();
          return undefined;
        },
        (e: unknown) => e as Error & { code?: string },
      );
      expect(error?.code).toBe('HANDLER_LOAD_FAILED');
      expect(error?.message).toMatch(/Cannot find module 'hono'/);
      expect(error?.message).toMatch(/neither in the function's code directory/);
      expect(error?.message).toMatch(/ali-oss 6\.19\.0, .*@alicloud\/fc2 2\.6\.6/);
    });
  }
});

describe('cloud endpoints of the local region', () => {
  it('sends ali-oss built from context.region (public endpoint, virtual-hosted) to the local OSS server', async () => {
    const result = await invokeJson('oss-writer', { key: 'written/public.txt', text: 'from the cloud code' });
    expect(result.read).toBe('from the cloud code');
    expect(result.url).toBe(`http://${BUCKET}.oss-${REGION}.aliyuncs.com/written/public.txt`);
    await expectObject('written/public.txt', 'from the cloud code');
  });

  it('routes the internal endpoint, and https requests over loopback', async () => {
    const internal = await invokeJson('oss-writer', { key: 'written/internal.txt', text: 'i', internal: true });
    expect(internal.url).toBe(`http://${BUCKET}.oss-${REGION}-internal.aliyuncs.com/written/internal.txt`);
    const secure = await invokeJson('oss-writer', { key: 'written/secure.txt', text: 's', secure: true });
    expect(secure.url).toBe(`https://${BUCKET}.oss-${REGION}.aliyuncs.com/written/secure.txt`);
    await expectObject('written/internal.txt', 'i');
    await expectObject('written/secure.txt', 's');
  });

  it('routes fetch too, keeping the bucket named in the host', async () => {
    await invokeJson('oss-writer', { key: 'written/fetched.txt', text: 'f' });
    const url = (bucket: string) => `https://${bucket}.oss-${REGION}.aliyuncs.com/written/fetched.txt`;
    const mine = await invokeJson('fetch-oss', { url: url(BUCKET) });
    // Anonymous reads are refused: the answer comes from the local OSS server, about this bucket's object.
    expect(mine).toMatchObject({ status: 403, fromOss: true });
    expect(mine.body).toMatch(/<Code>AccessDenied<\/Code>/);
    const other = await invokeJson('fetch-oss', { url: url('no-such-bucket-here') });
    expect(other).toMatchObject({ status: 404, fromOss: true });
    expect(other.body).toMatch(/<Code>NoSuchBucket<\/Code>/);
  });

  it('sends the built-in @alicloud/fc2 client on its default endpoint to the local InvokeFunction API', async () => {
    const result = await invokeJson('fc2-caller', {
      service: 'legacy',
      functionName: 'user-json-event',
      payload: { name: 'fc2', items: [1] },
    });
    expect(result).toEqual({ answer: { greeting: 'hello, fc2', items: 1, function: 'user-json-event' } });
  });
});

/** Reads an object straight from the local OSS server with the real ali-oss client (path style). */
async function expectObject(key: string, text: string): Promise<void> {
  const OSS = require('ali-oss') as new (
    o: object,
  ) => {
    get(k: string): Promise<{ content: Buffer }>;
  };
  const client = new OSS({
    endpoint: `http://localhost:${oss.port}`,
    sldEnable: true,
    region: `oss-${REGION}`,
    bucket: BUCKET,
    ...ROOT_KEY,
  });
  expect((await client.get(key)).content.toString('utf8')).toBe(text);
}
