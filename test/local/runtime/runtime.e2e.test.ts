/**
 * End to end: the fixture s.yaml, its functions bundled for real with esbuild, run by the local runtime,
 * driven through each trigger type (HTTP over real sockets, OSS deliveries, timers) and the invoke APIs.
 */
import { existsSync, readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AsyncOutcome } from '../../../local/runtime/async-invoker';
import type { OutputLine } from '../../../local/runtime/instance';
import type { OssEventSubscription } from '../../../local/runtime/oss-trigger';
import { type LocalRuntime, startRuntime } from '../../../local/runtime/runtime';
import { loadStack } from '../../../local/runtime/s-yaml';
import { bundleFixtures, readRecords, STACK_DIR, waitFor } from './helpers';

const OSS_EVENT = JSON.parse(
  readFileSync(new URL('../../shared/fc/fixtures/oss-event.json', import.meta.url), 'utf8'),
) as { events: Array<Record<string, any>> };

/** An FC OSS trigger payload for one object. */
function ossPayload(key: string, eventName = 'ObjectCreated:PutObject') {
  const record = structuredClone(OSS_EVENT.events[0]) as Record<string, any>;
  record['eventName'] = eventName;
  record['oss'].bucket.name = 'fixture-bucket';
  record['oss'].object.key = key;
  return { events: [record] };
}

/** Plays the local OSS server's side of the port: records subscriptions, lets tests deliver. */
class FakeOssSource {
  readonly subscriptions: Array<{
    sub: OssEventSubscription;
    deliver: (payload: object) => Promise<void>;
    active: boolean;
  }> = [];
  subscribe(sub: OssEventSubscription, deliver: (payload: object) => Promise<void>) {
    const entry = { sub, deliver, active: true };
    this.subscriptions.push(entry);
    return () => {
      entry.active = false;
    };
  }
}

let fixtures: Awaited<ReturnType<typeof bundleFixtures>>;
let runtime: LocalRuntime;
const output: OutputLine[] = [];
const logs: string[] = [];
const outcomes: AsyncOutcome[] = [];
let credentialCalls = 0;
const source = new FakeOssSource();
let echoUrl: string;

beforeAll(async () => {
  fixtures = await bundleFixtures(['http-echo', 'recorder', 'slow', 'fan-out']);
  const stack = loadStack(join(STACK_DIR, 's.yaml'), {
    env: { FIXTURE_DIST: fixtures.dist, FIXTURE_OUT_DIR: fixtures.out },
  });
  runtime = await startRuntime({
    stack,
    credentials: () => {
      credentialCalls++;
      return {
        accessKeyId: 'STS.local-key',
        accessKeySecret: 'local-secret',
        securityToken: `token-${credentialCalls}`,
      };
    },
    env: { FIXTURE_EXTRA: 'from-caller' },
    asyncRetry: { baseDelayMs: 50 },
    output: (line) => output.push(line),
    log: (message) => logs.push(message),
    onAsyncOutcome: (outcome) => outcomes.push(outcome),
  });
  runtime.attach(source);
  echoUrl = runtime.urls['fixture-http-echo'] as string;
});

afterAll(async () => {
  await runtime?.close();
  fixtures?.cleanup();
});

/** A raw HTTP request, for what fetch cannot send (repeated header lines). */
function rawRequest(
  path: string,
  headers: Record<string, string | string[]>,
): Promise<{ status: number; body: string }> {
  const url = new URL(echoUrl);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: url.hostname, port: url.port, path, method: 'GET', headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('HTTP trigger', () => {
  it('serves the function on its own port with the FC context, system variables and role credentials', async () => {
    const response = await fetch(`${echoUrl}/env`);
    expect(response.status).toBe(200);
    const body = (await response.json()) as Record<string, any>;
    expect(response.headers.get('x-fc-request-id')).toBe(body['requestId']);
    expect(body['requestId']).toMatch(/^1-[0-9a-f]{8}-[0-9a-f]{24}$/);
    expect(body).toMatchObject({
      hasCredentials: true,
      function: { name: 'fixture-http-echo', handler: 'index.handler', memory: 256, timeout: 5 },
      region: 'cn-hangzhou',
      accountId: '1000000000000000',
    });
    expect(body['securityToken']).toMatch(/^token-\d+$/);
    expect(body['env']).toMatchObject({
      FC_FUNCTION_NAME: 'fixture-http-echo',
      FC_REGION: 'cn-hangzhou',
      FC_ACCOUNT_ID: '1000000000000000',
      FC_FUNCTION_HANDLER: 'index.handler',
      FC_FUNCTION_MEMORY_SIZE: '256',
      FC_INSTANCE_ID: expect.stringMatching(/^c-/),
      ALIBABA_CLOUD_ACCESS_KEY_ID: 'STS.local-key',
      ALIBABA_CLOUD_ACCESS_KEY_SECRET: 'local-secret',
      ALIBABA_CLOUD_SECURITY_TOKEN: expect.stringMatching(/^token-\d+$/),
      GREETING: 'hello',
      BUCKET: 'fixture-bucket',
      FIXTURE_EXTRA: 'from-caller',
      LOCAL_FC_ENDPOINT: runtime.invokeEndpoint,
      TZ: 'UTC',
    });
  });

  it('keeps the instance warm between invocations', async () => {
    const first = (await (await fetch(`${echoUrl}/env`)).json()) as { env: Record<string, string> };
    const second = (await (await fetch(`${echoUrl}/env`)).json()) as { env: Record<string, string> };
    expect(second.env['FC_INSTANCE_ID']).toBe(first.env['FC_INSTANCE_ID']);
  });

  it('delivers a binary request body byte for byte and returns a binary response', async () => {
    const bytes = new Uint8Array(256).map((_, i) => i);
    const echoed = (await (
      await fetch(`${echoUrl}/upload`, {
        method: 'PUT',
        body: bytes,
        headers: { 'content-type': 'application/octet-stream' },
      })
    ).json()) as Record<string, any>;
    expect(Buffer.from(echoed['bodyBase64'], 'base64')).toEqual(Buffer.from(bytes));
    expect(echoed['event']).toMatchObject({ isBase64Encoded: true, body: Buffer.from(bytes).toString('base64') });

    const response = await fetch(`${echoUrl}/binary`);
    expect(response.headers.get('content-type')).toBe('image/png');
    expect(new Uint8Array(await response.arrayBuffer())).toEqual(bytes);
  });

  it('passes CJK and percent-encoded paths, repeated headers and query keys as FC does', async () => {
    // Node's HTTP parser refuses raw non-ASCII bytes in a request line, so clients send them encoded.
    const path = `${encodeURI('/files/中文 名')}/a%2Fb?tag=x&tag=y`;
    const { status, body } = await rawRequest(path, { 'X-Multi': ['one', 'two'] });
    expect(status).toBe(200);
    const echoed = JSON.parse(body) as Record<string, any>;
    expect(echoed['event'].rawPath).toBe('/files/%E4%B8%AD%E6%96%87%20%E5%90%8D/a%2Fb');
    expect(echoed['event'].requestContext.http.path).toBe('/files/中文 名/a/b');
    expect(echoed['event'].headers['X-Multi']).toBe('one,two');
    expect(echoed['event'].queryParameters).toEqual({ tag: 'x,y' });
    expect(echoed['headers']['x-multi']).toBe('one,two');
  });

  it('sends every cookie as its own Set-Cookie header', async () => {
    const response = await fetch(`${echoUrl}/cookies`);
    expect(response.headers.getSetCookie()).toEqual(['a=1; Expires=Wed, 21 Oct 2037 07:28:00 GMT', 'b=2; Path=/']);
  });

  it("refuses methods outside the trigger's list", async () => {
    const response = await fetch(`${echoUrl}/anything`, { method: 'DELETE' });
    expect(response.status).toBe(405);
    expect(await response.json()).toMatchObject({
      Code: 'MethodNotAllowed',
      RequestId: response.headers.get('x-fc-request-id'),
    });
  });

  it('labels function output with the function name and request id', async () => {
    const requestId = await (await fetch(`${echoUrl}/log`)).text();
    const mine = await waitFor(() => {
      const lines = output.filter((l) => l.requestId === requestId);
      return lines.length >= 2 ? lines : undefined;
    });
    expect(mine.every((l) => l.functionName === 'fixture-http-echo' && l.stream === 'stdout')).toBe(true);
    expect(mine.map((l) => l.text)).toEqual([
      `console line from ${requestId}`,
      expect.stringMatching(new RegExp(`^\\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z ${requestId} \\[INFO\\] logger line$`)),
    ]);
  });
});

describe('invocations', () => {
  it('converts return values as FC does: Buffer as-is, object to JSON, others to string', async () => {
    const raw = await runtime.invoke('oss-recorder', { not: 'an event' });
    expect(raw.payload.toString()).toBe('raw');
    const oss = await runtime.invoke('oss-recorder', ossPayload('artifacts/direct.jar'));
    expect(JSON.parse(oss.payload.toString())).toEqual({ recorded: 1 });
    const timer = await runtime.invoke('fixture-timer-recorder', {
      triggerTime: '2024-01-01T00:00:00Z',
      triggerName: 'manual',
      payload: '',
    });
    expect(timer.payload.toString()).toBe('ok');
  });

  it('returns a thrown error as an FC error payload', async () => {
    const result = await runtime.invoke('oss-recorder', 'not json');
    expect(result.errorKind).toBe('unhandled');
    expect(result.error).toMatchObject({ errorType: 'SyntaxError', errorMessage: expect.stringContaining('JSON') });
    expect(JSON.parse(result.payload.toString())).toMatchObject({ errorType: 'SyntaxError' });
  });

  it('runs one invocation per instance, scaling out when all are busy', async () => {
    const results = await Promise.all([0, 1, 2].map(() => runtime.invoke('slow', { ms: 600 })));
    for (const r of results) expect(r.error).toBeUndefined();
    // Three instances for three invocations at once: one after another, the first would have served all.
    // (A wall-clock bound on the whole would measure the machine's load as much as the scaling.)
    const instances = results.map((r) => (JSON.parse(r.payload.toString()) as { instance: string }).instance);
    expect(new Set(instances).size).toBe(3);
  });

  it('kills an instance that runs past its timeout and reports it as FC does', async () => {
    const result = await runtime.invoke('slow', { ms: 5000 });
    expect(result.errorKind).toBe('timeout');
    expect(result.error).toEqual({
      errorMessage: 'Function timed out after 1 seconds',
      errorType: 'FunctionTimeoutError',
    });
    expect(result.durationMs).toBeGreaterThanOrEqual(990);
    expect(result.durationMs).toBeLessThan(2500);
    const pidLine = output.find((l) => l.requestId === result.requestId && l.text.startsWith('pid '));
    const pid = Number(pidLine?.text.slice(4));
    expect(pid).toBeGreaterThan(0);
    await waitFor(
      () => {
        try {
          process.kill(pid, 0);
          return undefined;
        } catch {
          return true;
        }
      },
      2000,
      `process ${pid} to exit`,
    );
    // The function keeps working on other (or new) instances, never the killed one.
    const after = await Promise.all([0, 1, 2, 3].map(() => runtime.invoke('slow', { ms: 50 })));
    expect(after.every((r) => r.error === undefined && r.instanceId !== result.instanceId)).toBe(true);
  });

  it('refuses an unknown function by name', async () => {
    await expect(runtime.invoke('nope', {})).rejects.toMatchObject({
      code: 'FUNCTION_NOT_FOUND',
      message: expect.stringContaining('fixture-http-echo'),
    });
  });

  it('lets a function fan out through the FC SDK to the local InvokeFunction endpoint', async () => {
    const result = await runtime.invoke('fan-out', {
      target: 'fixture-oss-recorder',
      payload: ossPayload('artifacts/fanned-out.jar'),
    });
    expect(result.error).toBeUndefined();
    const { accepted } = JSON.parse(result.payload.toString()) as { accepted: { requestId: string } };
    expect(accepted.requestId).toMatch(/^1-/);
    const file = join(fixtures.out, 'fixture-oss-recorder', `oss-${accepted.requestId}.json`);
    await waitFor(() => (existsSync(file) ? true : undefined), 5000, file);
    expect(
      (JSON.parse(readFileSync(file, 'utf8')) as { events: Array<{ oss: { object: { key: string } } }> }).events[0]?.oss
        .object.key,
    ).toBe('artifacts/fanned-out.jar');
  });

  it('answers InvokeFunction for an unknown function with FunctionNotFound', async () => {
    const response = await fetch(`${runtime.invokeEndpoint}/2023-03-30/functions/nope/invocations`, {
      method: 'POST',
      body: '{}',
    });
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({ Code: 'FunctionNotFound' });
  });

  it('answers a synchronous InvokeFunction with the payload and the error type header on failure', async () => {
    const ok = await fetch(`${runtime.invokeEndpoint}/2023-03-30/functions/fixture-slow/invocations`, {
      method: 'POST',
      body: '{"ms":1}',
      headers: { 'x-fc-invocation-type': 'Sync' },
    });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({ slept: 1 });
    const failed = await fetch(`${runtime.invokeEndpoint}/2023-03-30/functions/fixture-slow/invocations`, {
      method: 'POST',
      body: 'not json',
    });
    expect(failed.headers.get('x-fc-error-type')).toBe('UnhandledInvocationError');
    expect(await failed.json()).toMatchObject({ errorType: 'SyntaxError' });
  });
});

describe('OSS trigger', () => {
  it("subscribes with the trigger's bucket, event names and key filter", () => {
    expect(source.subscriptions.map((s) => s.sub)).toEqual([
      {
        bucket: 'fixture-bucket',
        events: ['oss:ObjectCreated:PutObject', 'oss:ObjectRemoved:DeleteObject'],
        prefix: 'artifacts/',
        suffix: '',
      },
    ]);
  });

  it('turns a delivery into an asynchronous invocation of the function', async () => {
    const deliver = source.subscriptions[0]!.deliver;
    await deliver(ossPayload('artifacts/team-a/job.jar'));
    const record = await waitFor(() =>
      (
        readRecords(join(fixtures.out, 'fixture-oss-recorder'), 'oss-') as Array<{
          events: Array<{ oss: { object: { key: string } } }>;
        }>
      ).find((r) => r.events[0]?.oss.object.key === 'artifacts/team-a/job.jar'),
    );
    expect(record.events).toHaveLength(1);
  });

  it('retries a function that fails twice, then succeeds (at least once)', async () => {
    await source.subscriptions[0]!.deliver(ossPayload('artifacts/flaky/x.jar'));
    const outcome = await waitFor(
      () =>
        outcomes.find(
          (o) => o.functionName === 'fixture-oss-recorder' && o.source === 'oss:artifacts-events' && o.attempts === 3,
        ),
      5000,
      'retried outcome',
    );
    expect(outcome.status).toBe('succeeded');
    const attempts = readFileSync(join(fixtures.out, 'fixture-oss-recorder', 'artifacts_flaky_x_jar.attempts'), 'utf8')
      .trim()
      .split('\n');
    expect(attempts).toEqual([outcome.requestId, outcome.requestId, outcome.requestId]);
    expect(logs.filter((l) => l.includes(outcome.requestId) && l.includes('retrying'))).toHaveLength(2);
  });

  it('refuses a payload that is not an FC OSS event', async () => {
    await expect(source.subscriptions[0]!.deliver({ hello: 'world' })).rejects.toMatchObject({ code: 'EVENT_INVALID' });
  });

  it('subscribes to another bucket when asked, and detaches', () => {
    const other = new FakeOssSource();
    const undo = runtime.attach(other, { bucket: 'local-dev-bucket' });
    expect(other.subscriptions[0]?.sub.bucket).toBe('local-dev-bucket');
    undo();
    expect(other.subscriptions[0]?.active).toBe(false);
    expect(source.subscriptions[0]?.active).toBe(true);
  });
});

describe('timer trigger', () => {
  it('fires @every and per-second cron triggers with the FC timer event, and never a disabled one', async () => {
    const dir = join(fixtures.out, 'fixture-timer-recorder');
    const every = await waitFor(() => readRecords(dir, 'timer-every-second-')[0], 4000, '@every 1s firing');
    const cron = await waitFor(() => readRecords(dir, 'timer-cron-seconds-')[0], 4000, 'per-second cron firing');
    expect(every).toEqual({
      triggerTime: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
      triggerName: 'every-second',
      payload: '{"from":"every"}',
    });
    expect(cron).toEqual({
      triggerTime: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
      triggerName: 'cron-seconds',
      payload: 'cron',
    });
    expect(readRecords(dir, 'timer-disabled-')).toEqual([]);
    expect(outcomes.some((o) => o.source === 'timer:every-second' && o.status === 'succeeded')).toBe(true);
  });
});
