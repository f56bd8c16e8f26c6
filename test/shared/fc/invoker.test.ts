import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { bundleFunction } from '../../../scripts/build';
import { PackError } from '../../../shared/errors';
import {
  createFcInvoker,
  fcInvokerFromContext,
  MAX_ASYNC_PAYLOAD_BYTES,
  resolveInvokeEndpoint,
} from '../../../shared/fc/invoker';
import type { FcContext } from '../../../shared/fc/types';

const run = promisify(execFile);

interface Received {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** A small server that plays FC's InvokeFunction endpoint; `reply` decides each answer. */
let server: Server;
let endpoint: string;
let received: Received[] = [];
let reply: (req: Received) => { status: number; headers?: Record<string, string>; body?: string } = () => ({
  status: 202,
});

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const r = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks) };
      received.push(r);
      const answer = reply(r);
      res.writeHead(answer.status, { 'x-fc-request-id': `req-${received.length}`, ...answer.headers });
      res.end(answer.body ?? '');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

beforeEach(() => {
  received = [];
  reply = () => ({ status: 202 });
});

const credentials = { accessKeyId: 'STS.test-key', accessKeySecret: 'test-secret', securityToken: 'test-token' };

describe('createFcInvoker against a local InvokeFunction endpoint', () => {
  it('sends an async InvokeFunction request with the payload and returns FC request id', async () => {
    const invoker = createFcInvoker({
      accountId: '1234',
      region: 'cn-hangzhou',
      credentials,
      endpoint,
      qualifier: 'LATEST',
    });
    const payload = JSON.stringify({ key: 'artifacts/中文.jar' });
    const accepted = await invoker.invokeAsync('log-shipper', payload);

    expect(accepted).toEqual({ requestId: 'req-1' });
    expect(received).toHaveLength(1);
    const [request] = received as [Received];
    expect(request.method).toBe('POST');
    expect(request.url).toBe('/2023-03-30/functions/log-shipper/invocations?qualifier=LATEST');
    expect(request.headers['x-fc-invocation-type']).toBe('Async');
    expect(request.body.toString('utf8')).toBe(payload);
    expect(request.headers['authorization']).toMatch(/^ACS3-HMAC-SHA256 Credential=STS\.test-key,/);
    expect(request.headers['x-acs-security-token']).toBe('test-token');
  });

  it('sends binary payloads byte for byte and asks a credentials provider each time', async () => {
    let calls = 0;
    const invoker = createFcInvoker({
      accountId: '1234',
      region: 'cn-hangzhou',
      endpoint,
      credentials: () => {
        calls++;
        return { ...credentials, securityToken: `token-${calls}` };
      },
    });
    const bytes = new Uint8Array(256).map((_, i) => i);
    await invoker.invokeAsync('fn', bytes);
    await invoker.invokeAsync('fn', bytes.subarray(10, 20));
    expect(calls).toBe(2);
    expect(received[0]?.body).toEqual(Buffer.from(bytes));
    expect(received[1]?.body).toEqual(Buffer.from(bytes.subarray(10, 20)));
    expect(received[1]?.headers['x-acs-security-token']).toBe('token-2');
    expect(received[0]?.url).toBe('/2023-03-30/functions/fn/invocations');
  });

  it('reports FC refusing the call as INVOKE_FAILED with the function name and FC error code', async () => {
    reply = () => ({
      status: 404,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ Code: 'FunctionNotFound', Message: 'function not found: nope' }),
    });
    const invoker = createFcInvoker({ accountId: '1234', region: 'cn-hangzhou', credentials, endpoint });
    const error = await invoker.invokeAsync('nope', '{}').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PackError);
    expect((error as PackError).code).toBe('INVOKE_FAILED');
    expect((error as PackError).message).toMatch(/nope/);
    expect((error as PackError).message).toMatch(/FunctionNotFound/);
    expect((error as PackError).message).not.toContain('test-secret');
  });

  it('refuses a payload over 128 KB before sending anything', async () => {
    const invoker = createFcInvoker({ accountId: '1234', region: 'cn-hangzhou', credentials, endpoint });
    const error = await invoker.invokeAsync('fn', 'x'.repeat(MAX_ASYNC_PAYLOAD_BYTES + 1)).catch((e: unknown) => e);
    expect((error as PackError).code).toBe('INVOKE_PAYLOAD_TOO_LARGE');
    expect(received).toHaveLength(0);
  });
});

describe('fcInvokerFromContext', () => {
  const ctx = (withCredentials: boolean): FcContext => ({
    requestId: 'r',
    ...(withCredentials ? { credentials } : {}),
    function: { name: 'presign-api', handler: 'index.handler', memory: 512, timeout: 3 },
    service: { logProject: '', logStore: '', qualifier: 'LATEST', versionId: '' },
    region: 'cn-hangzhou',
    accountId: '1234',
    logger: console,
  });

  it('calls with the context role keys', async () => {
    await fcInvokerFromContext(ctx(true), { endpoint }).invokeAsync('peer', '{}');
    expect(received[0]?.headers['x-acs-security-token']).toBe('test-token');
  });

  it('refuses without a role (no context.credentials)', () => {
    expect(() => fcInvokerFromContext(ctx(false))).toThrow(expect.objectContaining({ code: 'INVOKER_NO_CREDENTIALS' }));
  });
});

describe('resolveInvokeEndpoint', () => {
  it('defaults to the account and region host over https', () => {
    expect(resolveInvokeEndpoint({ accountId: '1234', region: 'cn-shanghai' })).toEqual({
      host: '1234.cn-shanghai.fc.aliyuncs.com',
      protocol: 'HTTPS',
    });
  });

  it('accepts a URL with a scheme or a bare host', () => {
    expect(resolveInvokeEndpoint({ accountId: '1', region: 'r', endpoint: 'http://127.0.0.1:9002' })).toEqual({
      host: '127.0.0.1:9002',
      protocol: 'HTTP',
    });
    expect(resolveInvokeEndpoint({ accountId: '1', region: 'r', endpoint: 'fc.internal' })).toEqual({
      host: 'fc.internal',
      protocol: 'HTTPS',
    });
  });

  it('refuses an endpoint with a path', () => {
    expect(() => resolveInvokeEndpoint({ accountId: '1', region: 'r', endpoint: 'http://h/x' })).toThrow(
      expect.objectContaining({ code: 'INVOKER_CONFIG_INVALID' }),
    );
  });
});

describe('cold start', () => {
  it('does not load the FC SDK until the first invocation, in a real esbuild bundle', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fc-invoker-bundle-'));
    try {
      const entry = fileURLToPath(new URL('../../fixtures/functions/fan-out/index.ts', import.meta.url));
      const { file } = await bundleFunction('fan-out-probe', entry, join(dir, 'fan-out'));
      // Record the modules the bundle requires: the SDK's HTTP stack (`https`) must wait for the first use.
      const probe = `
        const M = require('module'); const orig = M.prototype.require; const seen = new Set();
        M.prototype.require = function (id) { seen.add(id); return orig.apply(this, arguments); };
        const mod = require(${JSON.stringify(file)});
        const atLoad = [...seen]; seen.clear();
        const context = { credentials: { accessKeyId: 'a', accessKeySecret: 'b', securityToken: 'c' }, accountId: '1', region: 'cn-hangzhou', function: { name: 'f' } };
        process.env.LOCAL_FC_ENDPOINT = ${JSON.stringify(endpoint)};
        mod.handler(Buffer.from('{"target":"peer","payload":{"n":1}}'), context)
          .then((result) => { console.log(JSON.stringify({ atLoad, atUse: [...seen], result })); process.exit(0); });`;
      const { stdout } = await run(process.execPath, ['-e', probe], { encoding: 'utf8', timeout: 20_000 });
      const report = JSON.parse(stdout) as { atLoad: string[]; atUse: string[]; result: unknown };
      expect(report.atLoad).not.toContain('https');
      expect(report.atUse).toContain('https');
      expect(report.result).toEqual({ accepted: { requestId: 'req-1' } });
      expect(received[0]?.url).toBe('/2023-03-30/functions/peer/invocations');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
