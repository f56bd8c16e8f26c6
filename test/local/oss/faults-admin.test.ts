import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import OSS from 'ali-oss';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningOssServer } from '../../../local/oss';
import { ossOptionsFromEnv } from '../../../local/oss/env';
import { parseFaultSpec } from '../../../local/oss/fault-spec';
import { aliClient, failure, startTestServer } from './helpers';

const TOKEN = 'admin-token-for-tests';

describe('LOCAL_OSS_FAULTS syntax', () => {
  it('reads operations, fields and several faults', () => {
    expect(parseFaultSpec('PutObject:internalError=0.2,times=50;*:latencyMs=100')).toEqual([
      ['PutObject', { internalError: 0.2, times: 50 }],
      ['*', { latencyMs: 100 }],
    ]);
    expect(parseFaultSpec(' GetObject : slowDown=1 ; ')).toEqual([['GetObject', { slowDown: 1 }]]);
  });

  it.each([
    ['PutObjekt:internalError=1', /unknown operation "PutObjekt"/],
    ['PutObject:internalEror=1', /unknown fault field "internalEror"/],
    ['PutObject:internalError=2', /internalError must be a probability between 0 and 1/],
    ['PutObject:times=0', /times must be a whole number/],
    ['PutObject:latencyMs=fast', /latencyMs .* must be a number, got "fast"/],
    ['PutObject', /should read Operation:field=value/],
  ])('refuses %s, naming what is wrong', (spec, message) => {
    expect(() => parseFaultSpec(spec)).toThrow(message);
    expect(() => ossOptionsFromEnv({ LOCAL_OSS_FAULTS: spec }, 'fallback-token')).toThrow(/^LOCAL_OSS_FAULTS: /);
  });

  it('turns the environment into server options', () => {
    expect(
      ossOptionsFromEnv(
        { LOCAL_OSS_FAULTS: 'UploadPart:reset=0.5', LOCAL_OSS_RESTORE_DELAY_MS: '10', LOCAL_OSS_ADMIN_TOKEN: TOKEN },
        'fallback-token',
      ),
    ).toEqual({ faults: { UploadPart: { reset: 0.5 } }, adminToken: TOKEN, restoreDelayMs: 10 });
    expect(ossOptionsFromEnv({}, 'fallback-token').adminToken).toBe('fallback-token');
    expect(() => ossOptionsFromEnv({ LOCAL_OSS_RESTORE_DELAY_MS: '-1' }, 'fallback-token')).toThrow(
      /LOCAL_OSS_RESTORE_DELAY_MS/,
    );
  });
});

describe('the admin endpoint', () => {
  let server: RunningOssServer;
  const admin = (method: string, path: string, body?: string, token = TOKEN) =>
    fetch(`${server.url}/_local/faults${path}`, {
      method,
      headers: token ? { authorization: `Bearer ${token}` } : {},
      ...(body !== undefined ? { body } : {}),
    });

  beforeAll(async () => {
    server = await startTestServer({ adminToken: TOKEN, faults: { GetObject: { slowDown: 1, times: 1 } } });
  });
  afterAll(() => server.close());

  it('refuses requests without the token', async () => {
    for (const token of ['', 'wrong-token-123']) {
      const res = await admin('GET', '', undefined, token);
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toBe('Bearer');
      expect((await res.json()).error.code).toBe('UNAUTHENTICATED');
    }
  });

  it('lists the faults set at start, sets faults that real clients then meet, and clears them', async () => {
    const client = aliClient(server);
    await client.put('f.txt', Buffer.from('x'));
    expect(await (await admin('GET', '')).json()).toEqual({
      faults: { GetObject: { slowDown: 1, times: 1, remaining: 1 } },
    });
    expect(await failure(client.get('f.txt'))).toMatchObject({ status: 503, code: 'SlowDown' });
    expect(await (await admin('GET', '')).json()).toEqual({ faults: {} });

    const set = await admin('POST', '', 'PutObject:internalError=1,times=2;HeadObject:latencyMs=150');
    expect(set.status).toBe(200);
    expect((await set.json()).faults.PutObject).toEqual({ internalError: 1, times: 2, remaining: 2 });
    expect(await failure(client.put('g.txt', Buffer.from('y')))).toMatchObject({ status: 500, code: 'InternalError' });
    const started = Date.now();
    await client.head('f.txt');
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);

    expect((await admin('PUT', '/InitiateMultipartUpload', '{"internalError":1}')).status).toBe(200);
    expect(await failure(client.initMultipartUpload('big.bin'))).toMatchObject({ status: 500, code: 'InternalError' });
    expect((await admin('DELETE', '/InitiateMultipartUpload')).status).toBe(200);
    expect((await client.initMultipartUpload('big.bin')).uploadId).toMatch(/^[0-9A-F]{32}$/);

    expect(Object.keys((await (await admin('DELETE', '')).json()).faults)).toEqual([]);
    expect((await client.put('g.txt', Buffer.from('y'))).res.status).toBe(200);
  });

  it('answers bad input with 400 naming the problem, unknown paths with 404', async () => {
    const bad = await admin('POST', '', 'PutObject:internalError=7');
    expect(bad.status).toBe(400);
    expect((await bad.json()).error).toEqual({
      code: 'FAULT_SPEC_INVALID',
      message: 'internalError must be a probability between 0 and 1 (in "PutObject:internalError=7")',
    });
    const notJson = await admin('PUT', '/PutObject', 'internalError=1');
    expect(notJson.status).toBe(400);
    expect((await admin('PUT', '/NoSuchOp', '{"internalError":1}')).status).toBe(400);
    expect((await fetch(`${server.url}/_local/other`, { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(
      404,
    );
    expect((await admin('PATCH', '')).status).toBe(405);
  });
});

describe('npm run oss-server with LOCAL_OSS_FAULTS', () => {
  let dir: string;
  let child: ChildProcess | undefined;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'local-oss-faults-'));
  });
  afterAll(async () => {
    if (child && child.exitCode === null) {
      const exited = new Promise((r) => child!.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
    await rm(dir, { recursive: true, force: true });
  });

  it('starts with the faults, prints them, and takes new ones through the admin endpoint', async () => {
    child = spawn(process.execPath, ['--import', 'tsx', 'local/oss/main.ts'], {
      cwd: resolve(import.meta.dirname, '../../..'),
      env: {
        ...process.env,
        LOCAL_OSS_PORT: '0',
        LOCAL_DATA_DIR: dir,
        LOCAL_OSS_QUIET: 'true',
        LOCAL_OSS_ACCESS_KEY_ID: 'fault-key',
        LOCAL_OSS_ACCESS_KEY_SECRET: 'fault-secret',
        LOCAL_OSS_FAULTS: 'PutObject:internalError=1,times=1',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    const end = Date.now() + 20_000;
    while (!/listening on http:\/\/127\.0\.0\.1:(\d+)/.test(output) || !output.includes('Press Ctrl-C')) {
      if (Date.now() > end) throw new Error(`server did not start:\n${output}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    const port = Number(/listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(output)![1]);
    expect(output).toContain('Faults (LOCAL_OSS_FAULTS): PutObject {"internalError":1,"times":1}');
    const client = new OSS({
      endpoint: `http://localhost:${port}`,
      region: 'oss-cn-hangzhou',
      accessKeyId: 'fault-key',
      accessKeySecret: 'fault-secret',
      bucket: 'flink-workspace',
      ...({ sldEnable: true, retryMax: 0 } as object),
    } as OSS.Options);
    expect(await failure(client.put('a.txt', Buffer.from('a')))).toMatchObject({ status: 500, code: 'InternalError' });
    expect((await client.put('a.txt', Buffer.from('a'))).res.status).toBe(200);
    const set = await fetch(`http://127.0.0.1:${port}/_local/faults`, {
      method: 'POST',
      headers: { authorization: 'Bearer fault-secret' },
      body: 'GetObject:slowDown=1',
    });
    expect(set.status).toBe(200);
    expect(await failure(client.get('a.txt'))).toMatchObject({ status: 503, code: 'SlowDown' });
  });
});
