import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { PackError, ValidationError } from '../../../shared/errors';
import { CODE_CACHE_STATE, type CodeCacheStatus } from '../../../shared/fc/code-cache-state';
import {
  createFunctionRuntime,
  eventHandler,
  type FunctionRuntime,
  httpHandler,
  type Invocation,
  ossHandler,
  timerHandler,
} from '../../../shared/fc/runtime';
import type { FcContext, FcCredentials, FcHttpResult } from '../../../shared/fc/types';
import type { HttpApp, HttpRequest } from '../../../shared/http/types';
import { createLogger } from '../../../shared/log';

const fixture = (name: string): Buffer => readFileSync(new URL(`./fixtures/${name}`, import.meta.url));
const SIGNED_URL =
  'https://b.oss-cn-hangzhou.aliyuncs.com/k?x-oss-signature=sig-SECRET&x-oss-security-token=tok-SECRET';

function context(requestId: string, overrides: Partial<FcContext> = {}): FcContext {
  const ignore = () => undefined;
  return {
    requestId,
    function: { name: 'fn', handler: 'index.handler', memory: 512, timeout: 30 },
    service: { logProject: '', logStore: '', qualifier: 'LATEST', versionId: '' },
    region: 'cn-hangzhou',
    accountId: '1234',
    logger: { debug: ignore, info: ignore, warn: ignore, error: ignore, log: ignore },
    ...overrides,
  };
}

const sts = (n: number): FcCredentials => ({
  accessKeyId: `STS.key-${n}`,
  accessKeySecret: `secret-${n}`,
  securityToken: `token-${n}`,
});

/** A runtime whose log lines are collected as parsed JSON, on a clock the test moves. */
function setup(options: { env?: boolean } = {}) {
  const lines: Array<Record<string, unknown>> = [];
  const clock = { now: 1_000_000 };
  const runtime = createFunctionRuntime({
    name: 'artifact-catalog',
    envCredentials: options.env === false ? undefined : { accessKeyId: 'ENV-AK', accessKeySecret: 'env-secret' },
    logger: createLogger({}, { level: 'debug', write: (line) => lines.push(JSON.parse(line)) }),
    now: () => clock.now,
  });
  return { runtime, lines, clock, raw: () => lines.map((l) => JSON.stringify(l)).join('\n') };
}

describe('createFunctionRuntime: credentials', () => {
  it('uses the environment until FC passes keys, then the newest keys FC passed', async () => {
    const { runtime } = setup();
    const seen: string[] = [];
    // What a store built at cold start does: ask the provider on every operation.
    const provider = runtime.credentials;
    const handler = timerHandler(runtime, () => {
      seen.push(provider().accessKeyId);
    });
    expect(provider()).toEqual({ accessKeyId: 'ENV-AK', accessKeySecret: 'env-secret' });
    await handler(fixture('timer-event.json'), context('r1', { credentials: sts(1) }));
    await handler(fixture('timer-event.json'), context('r2', { credentials: sts(2) }));
    // An invocation without keys keeps the last ones seen rather than falling back to older ones.
    await handler(fixture('timer-event.json'), context('r3'));
    expect(seen).toEqual(['STS.key-1', 'STS.key-2', 'STS.key-2']);
    expect(provider()).toEqual(sts(2));
  });

  it('fails with CREDENTIALS_MISSING, naming both fixes, when there are none', () => {
    const { runtime } = setup({ env: false });
    expect(() => runtime.credentials()).toThrow(
      expect.objectContaining({ code: 'CREDENTIALS_MISSING', message: expect.stringContaining('context.credentials') }),
    );
  });

  it('ignores an incomplete key pair', () => {
    const { runtime } = setup();
    runtime.begin(context('r1', { credentials: { accessKeyId: 'STS.x', accessKeySecret: '', securityToken: 't' } }));
    expect(runtime.credentials().accessKeyId).toBe('ENV-AK');
  });
});

describe('createFunctionRuntime: cold start', () => {
  const withCache = (status: CodeCacheStatus | undefined, run: () => void) => {
    const global = globalThis as { [CODE_CACHE_STATE]?: unknown };
    const before = global[CODE_CACHE_STATE];
    global[CODE_CACHE_STATE] = status && { status, create: () => Buffer.alloc(0) };
    try {
      run();
    } finally {
      global[CODE_CACHE_STATE] = before;
    }
  };

  it('says once when the code cache the build wrote was refused or is not this bundle’s', () => {
    for (const status of ['rejected', 'stale'] as const)
      withCache(status, () => {
        const { lines } = setup();
        expect(lines).toEqual([
          expect.objectContaining({
            level: 'info',
            msg: 'code cache not used; cold starts compile the bundle',
            fn: 'artifact-catalog',
            codeCache: status,
            node: process.version,
          }),
        ]);
      });
  });

  it('says nothing when the cache was used, skipped for source maps, absent, or the entry is not in use', () => {
    for (const status of ['used', 'skipped', 'absent', undefined] as const)
      withCache(status, () => expect(setup().lines).toEqual([]));
  });
});

describe('createFunctionRuntime: invocation', () => {
  it('gives each invocation a logger carrying the function name and its request id', async () => {
    const { runtime, lines } = setup();
    const handler = timerHandler(runtime, (_event, invocation) => invocation.logger.info('pruned', { deleted: 3 }));
    await handler(fixture('timer-event.json'), context('1-aaa'));
    await handler(fixture('timer-event.json'), context('1-bbb'));
    runtime.logger.info('outside');
    expect(lines.map(({ msg, fn, requestId }) => ({ msg, fn, requestId }))).toEqual([
      { msg: 'pruned', fn: 'artifact-catalog', requestId: '1-aaa' },
      { msg: 'pruned', fn: 'artifact-catalog', requestId: '1-bbb' },
      { msg: 'outside', fn: 'artifact-catalog', requestId: undefined },
    ]);
    expect(lines[0]?.['deleted']).toBe(3);
  });

  it('computes the deadline from the start and the function timeout, and what remains of it', () => {
    const { runtime, clock } = setup();
    const invocation = runtime.begin(context('r1'));
    expect(invocation.requestId).toBe('r1');
    expect(invocation.context.requestId).toBe('r1');
    expect(invocation.deadline).toBe(1_000_000 + 30_000);
    clock.now += 12_500;
    expect(invocation.remainingMs()).toBe(17_500);
    clock.now += 60_000;
    expect(invocation.remainingMs()).toBe(0);
  });

  it('has no deadline when the context gives no timeout', () => {
    const { runtime } = setup();
    const bare = context('r1');
    (bare as { function?: unknown }).function = undefined;
    const invocation = runtime.begin(bare);
    expect(invocation.deadline).toBe(Number.POSITIVE_INFINITY);
    expect(invocation.remainingMs()).toBe(Number.POSITIVE_INFINITY);
  });
});

describe('httpHandler', () => {
  const event = (path: string, body = '') =>
    Buffer.from(
      JSON.stringify({
        rawPath: path,
        body,
        headers: { 'Content-Type': 'application/json' },
        queryParameters: { limit: '5' },
        requestContext: { requestId: 'ignored', http: { method: 'post', path, sourceIp: '10.0.0.1' } },
      }),
    );

  function serve(app: HttpApp): {
    runtime: FunctionRuntime;
    lines: Array<Record<string, unknown>>;
    raw: () => string;
  } & {
    call: (raw: Buffer, requestId?: string) => Promise<FcHttpResult>;
  } {
    const s = setup();
    const handler = httpHandler(s.runtime, app);
    return { ...s, call: async (raw, requestId = '1-req') => (await handler(raw, context(requestId))) as FcHttpResult };
  }

  it('hands the app the request with the invocation request id and returns its response', async () => {
    let seen: HttpRequest | undefined;
    const { call } = serve({
      handle: async (request) => {
        seen = request;
        return { status: 201, headers: { 'content-type': 'application/json' }, body: '{"ok":true}' };
      },
    });
    const result = await call(event('/v1/uploads', '{"a":1}'), '1-abc');
    expect(result).toEqual({
      statusCode: 201,
      headers: { 'content-type': 'application/json' },
      body: '{"ok":true}',
      isBase64Encoded: false,
    });
    expect(seen).toMatchObject({
      method: 'POST',
      path: '/v1/uploads',
      requestId: '1-abc',
      sourceIp: '10.0.0.1',
      headers: { 'content-type': 'application/json' },
    });
    expect(seen?.query.get('limit')).toBe('5');
    expect(Buffer.from(seen?.body ?? []).toString()).toBe('{"a":1}');
  });

  it('answers a malformed event with 400 EVENT_INVALID and logs which field is wrong', async () => {
    const { call, lines } = serve({ handle: () => Promise.reject(new Error('must not be called')) });
    const result = await call(Buffer.from('{"requestContext":{"http":{"method":"GET"}}}'), '1-bad');
    expect(result.statusCode).toBe(400);
    expect(JSON.parse(result.body)).toEqual({
      error: { code: 'EVENT_INVALID', message: 'Malformed HTTP trigger event', requestId: '1-bad' },
    });
    expect(lines).toEqual([
      expect.objectContaining({
        level: 'error',
        msg: 'event.invalid',
        code: 'EVENT_INVALID',
        requestId: '1-bad',
        error: expect.stringContaining('rawPath must be a non-empty string'),
      }),
    ]);
  });

  it('turns a throw into a 500 without internals; the log has the detail but no secret', async () => {
    const { call, lines, raw } = serve({
      handle: () => Promise.reject(new Error(`upstream refused ${SIGNED_URL}`)),
    });
    const result = await call(event('/v1/downloads'), '1-boom');
    expect(result.statusCode).toBe(500);
    expect(JSON.parse(result.body)).toEqual({
      error: { code: 'INTERNAL', message: 'Internal server error', requestId: '1-boom' },
    });
    expect(result.body).not.toContain('upstream');
    expect(lines).toEqual([
      expect.objectContaining({
        msg: 'request.failed',
        code: 'INTERNAL',
        requestId: '1-boom',
        method: 'POST',
        path: '/v1/downloads',
        error: expect.stringContaining('upstream refused'),
      }),
    ]);
    expect(raw()).not.toContain('sig-SECRET');
    expect(raw()).not.toContain('tok-SECRET');
  });
});

describe('ossHandler', () => {
  it('runs with the parsed events and returns what the run returns', async () => {
    const { runtime } = setup();
    const handler = ossHandler(runtime, (event, invocation) => ({
      keys: event.events.map((e) => e.oss.object.key),
      requestId: invocation.requestId,
    }));
    expect(await handler(fixture('oss-event.json'), context('1-oss'))).toEqual({
      keys: ['source/a.png'],
      requestId: '1-oss',
    });
  });

  it('logs a malformed event and answers it without throwing, since a retry cannot help', async () => {
    const { runtime, lines } = setup();
    let ran = false;
    const handler = ossHandler(runtime, () => {
      ran = true;
    });
    const result = await handler(Buffer.from('{"events":[{"eventName":"x"}]}'), context('1-bad'));
    expect(ran).toBe(false);
    expect(result).toEqual({
      error: { code: 'EVENT_INVALID', message: expect.stringContaining('events[0].eventTime'), requestId: '1-bad' },
    });
    expect(lines).toEqual([
      expect.objectContaining({ level: 'error', msg: 'event.invalid', code: 'EVENT_INVALID', requestId: '1-bad' }),
    ]);
  });

  it("logs a failure with its stable code and rethrows it, so FC's async retry applies", async () => {
    const { runtime, lines, raw } = setup();
    const failure = new PackError('STORAGE_UNAVAILABLE', `bucket did not answer: ${SIGNED_URL}`);
    const handler = ossHandler(runtime, () => Promise.reject(failure));
    await expect(handler(fixture('oss-event.json'), context('1-retry'))).rejects.toBe(failure);
    expect(lines).toEqual([
      expect.objectContaining({
        level: 'error',
        msg: 'invocation.failed',
        code: 'STORAGE_UNAVAILABLE',
        requestId: '1-retry',
        fn: 'artifact-catalog',
      }),
    ]);
    expect(raw()).not.toContain('sig-SECRET');
  });

  it('logs an unexpected error as INTERNAL with its stack', async () => {
    const { runtime, lines } = setup();
    const handler = ossHandler(runtime, () => {
      throw new TypeError('x is undefined');
    });
    await expect(handler(fixture('oss-event.json'), context('1-bug'))).rejects.toThrow('x is undefined');
    expect(lines[0]).toMatchObject({ code: 'INTERNAL', error: 'TypeError: x is undefined' });
    expect(lines[0]?.['stack']).toContain('runtime.test.ts');
  });
});

describe('timerHandler', () => {
  it('runs with the parsed timer event', async () => {
    const { runtime } = setup();
    const handler = timerHandler(runtime, (event) => `${event.triggerName}@${event.triggerTime}:${event.payload}`);
    expect(await handler(fixture('timer-event.json'), context('1-t'))).toBe(
      'timer-trigger@2023-12-26T07:49:00Z:awesome-fc',
    );
  });

  it('answers a malformed timer event and rethrows a failure', async () => {
    const { runtime } = setup();
    const handler = timerHandler(runtime, () => {
      throw new PackError('PRUNE_FAILED', 'listing failed');
    });
    expect(await handler(Buffer.from('not json'), context('1-a'))).toEqual({
      error: { code: 'EVENT_INVALID', message: expect.stringContaining('not JSON'), requestId: '1-a' },
    });
    await expect(handler(fixture('timer-event.json'), context('1-b'))).rejects.toMatchObject({ code: 'PRUNE_FAILED' });
  });
});

describe('eventHandler', () => {
  type Job = { kind: 'timer' } | { kind: 'manual'; prefix: string };
  const parse = (raw: Buffer): Job => {
    const value = JSON.parse(raw.toString()) as Record<string, unknown>;
    if (typeof value['triggerName'] === 'string') return { kind: 'timer' };
    if (typeof value['prefix'] === 'string') return { kind: 'manual', prefix: value['prefix'] };
    throw new ValidationError('EVENT_INVALID', 'prefix', 'A manual event needs "prefix" (a string)');
  };

  it('accepts every event its parser accepts', async () => {
    const { runtime } = setup();
    const runs: Array<[Job, Invocation['requestId']]> = [];
    const handler = eventHandler(runtime, parse, (job, invocation) => {
      runs.push([job, invocation.requestId]);
      return 'done';
    });
    expect(await handler(fixture('timer-event.json'), context('1-a'))).toBe('done');
    expect(await handler(Buffer.from('{"prefix":"jobs/"}'), context('1-b'))).toBe('done');
    expect(runs).toEqual([
      [{ kind: 'timer' }, '1-a'],
      [{ kind: 'manual', prefix: 'jobs/' }, '1-b'],
    ]);
  });

  it("treats whatever the parser throws as a malformed event, with the parser's code and message", async () => {
    const { runtime, lines } = setup();
    const handler = eventHandler(runtime, parse, () => 'done');
    expect(await handler(Buffer.from('{"prefix":3}'), context('1-c'))).toEqual({
      error: { code: 'EVENT_INVALID', message: 'A manual event needs "prefix" (a string)', requestId: '1-c' },
    });
    expect(lines[0]).toMatchObject({ msg: 'event.invalid', code: 'EVENT_INVALID', requestId: '1-c' });
  });
});
