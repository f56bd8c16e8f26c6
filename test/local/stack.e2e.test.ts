import { mkdtempSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readLocalSettings } from '../../local/settings';
import { type LocalStack, startLocalStack } from '../../local/stack';
import { bundleFunction, DIST_DIR, ROOT } from '../../scripts/build';

const require = createRequire(import.meta.url);
const OSS = require('ali-oss') as new (
  o: object,
) => {
  put(name: string, body: Buffer): Promise<unknown>;
  delete(name: string): Promise<unknown>;
  get(name: string): Promise<{ content: Buffer }>;
};

const fixtureDist = mkdtempSync(join(tmpdir(), 'stack-fixtures-'));
const stackFile = join(ROOT, 'test/fixtures/stack/local-stack.yaml');

function clientFor(stack: LocalStack) {
  return new OSS({
    endpoint: stack.ossEndpoint,
    sldEnable: true,
    region: 'oss-cn-hangzhou',
    bucket: stack.settings.bucket,
    accessKeyId: stack.settings.accessKeyId,
    accessKeySecret: stack.settings.accessKeySecret,
  });
}

async function eventually<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const { port } = server.address() as { port: number };
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

function settings(dataDir: string, overrides: Partial<ReturnType<typeof readLocalSettings>> = {}) {
  return { ...readLocalSettings({ LOCAL_DATA_DIR: dataDir }), ossPort: 0, apiPort: 0, logsPort: 0, ...overrides };
}

beforeAll(async () => {
  process.env.FIXTURE_DIST = fixtureDist;
  process.env.REPO_DIST = DIST_DIR;
  await bundleFunction(
    'bucket-writer',
    join(ROOT, 'test/fixtures/functions/bucket-writer/index.ts'),
    join(fixtureDist, 'bucket-writer'),
  );
}, 60_000);

describe('the local stack', () => {
  let stack: LocalStack;
  const dataDir = mkdtempSync(join(tmpdir(), 'stack-data-'));

  beforeAll(async () => {
    stack = await startLocalStack({
      settings: settings(dataDir),
      stackFile,
      build: false,
      runtime: { output: () => undefined, log: () => undefined },
    });
  }, 120_000);
  afterAll(async () => {
    await stack?.close();
  });

  it('answers HTTP through a real bundle on its own port', async () => {
    const res = await fetch(`${stack.urls['presign-api']}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: 'ok', bucket: stack.settings.bucket });
  });

  it('turns an OSS write under the trigger prefix into an invocation, with the exact event', async () => {
    const oss = clientFor(stack);
    await oss.put('incoming/job 1.jar', Buffer.from('bytes'));
    await oss.put('elsewhere/ignored.jar', Buffer.from('bytes'));
    const seen = await eventually('the OSS event to be recorded', async () =>
      JSON.parse((await oss.get('seen/ObjectCreated:PutObject/incoming/job 1.jar')).content.toString()),
    );
    expect(seen).toMatchObject({
      eventName: 'ObjectCreated:PutObject',
      eventSource: 'acs:oss',
      region: 'cn-hangzhou',
      oss: { bucket: { name: stack.settings.bucket }, object: { key: 'incoming/job 1.jar', size: 5 } },
    });
    await oss.delete('incoming/job 1.jar');
    await eventually(
      'the delete event',
      async () => (await oss.get('seen/ObjectRemoved:DeleteObject/incoming/job 1.jar')).content,
    );
    await stack.runtime.idle();
    await expect(oss.get('seen/ObjectCreated:PutObject/elsewhere/ignored.jar')).rejects.toMatchObject({ status: 404 });
  });

  it('fires timers with FC timer events, and functions get STS credentials', async () => {
    const oss = clientFor(stack);
    const tick = await eventually('a timer tick', async () =>
      JSON.parse((await oss.get('ticks/every-second')).content.toString()),
    );
    expect(tick).toMatchObject({ triggerName: 'every-second', payload: '{"from":"timer"}', credentials: true });
    expect(tick.triggerTime).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
  });
});

describe('starting and stopping', () => {
  it('keeps acknowledged data between runs and starts empty with fresh', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'stack-persist-'));
    const quiet = { output: () => undefined, log: () => undefined };
    const first = await startLocalStack({
      settings: settings(dataDir),
      stackFile,
      build: false,
      timers: false,
      runtime: quiet,
    });
    await clientFor(first).put('kept/a.txt', Buffer.from('still here'));
    await first.close();

    const second = await startLocalStack({
      settings: settings(dataDir),
      stackFile,
      build: false,
      timers: false,
      runtime: quiet,
    });
    expect((await clientFor(second).get('kept/a.txt')).content.toString()).toBe('still here');
    await second.close();

    const fresh = await startLocalStack({
      settings: settings(dataDir),
      stackFile,
      build: false,
      timers: false,
      fresh: true,
      runtime: quiet,
    });
    await expect(clientFor(fresh).get('kept/a.txt')).rejects.toMatchObject({ status: 404 });
    await fresh.close();
  }, 60_000);

  it('refuses a port in use with one message naming it, and leaves nothing running', async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
    const port = (blocker.address() as { port: number }).port;
    const dataDir = mkdtempSync(join(tmpdir(), 'stack-port-'));
    const ossPort = await freePort();
    try {
      await expect(
        startLocalStack({
          settings: settings(dataDir, { apiPort: port, ossPort }),
          stackFile,
          build: false,
          timers: false,
          runtime: { output: () => undefined, log: () => undefined },
        }),
      ).rejects.toThrowError(new RegExp(`${port}.*LOCAL_API_PORT|LOCAL_API_PORT.*${port}`));
      // The OSS server that had already started was stopped again: its port is free.
      const probe = createServer();
      await new Promise<void>((resolve, reject) =>
        probe.once('error', reject).listen(ossPort, '127.0.0.1', () => resolve()),
      );
      probe.close();
    } finally {
      blocker.close();
    }
  }, 60_000);
});
