/**
 * Writes each built function's V8 code cache (`<dist>/<name>/app.cache`, read by `shared/fc/code-cache.ts`):
 * a fresh instance of the function answers the requests a new instance typically starts with (each route
 * of the API, an upload event, a pruning pass, a log batch) against a local OSS server, then saves the
 * bytecode of everything that ran. Bytecode depends on the code only, never on the data it ran on.
 *
 * Each instance is plain `node` with no flags (scripts/code-cache/trainer.cjs): V8 only accepts a cache
 * written under the same V8 version and flags.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { mintTemporaryCredentials, startOssServer } from '../../local/oss';
import { buildPayload } from '../../local/oss/events';
import { toFcHttpEvent } from '../../local/runtime/http-event';
import { loadConfig } from '../../shared/config';
import { CODE_CACHE_FILE } from '../../shared/fc/code-cache';
import { CODE_CACHE_STATE } from '../../shared/fc/code-cache-state';
import type { FcHttpResult } from '../../shared/fc/types';
import { tokenDigest } from '../../shared/presign/auth';
import { OssHttpStore } from '../../shared/storage/oss-http-store';
import { jobJar } from '../../test/support/jar-builder';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = join(HERE, '..', '..');
const TRAINER = join(HERE, 'trainer.cjs');
const REGION = 'cn-hangzhou';
const ACCOUNT_ID = '1234567890123456';
/** The training run's bucket and secrets: none of them may end up in a cache (the bundle tests check). */
export const TRAINING = {
  bucket: 'code-cache-training',
  key: { accessKeyId: 'code-cache-key', accessKeySecret: 'code-cache-secret' },
  token: 'code-cache-token',
} as const;
const BUCKET = TRAINING.bucket;
const KEY = TRAINING.key;
const TOKEN = TRAINING.token;
const PART = 100 * 1024;
const CHECKPOINT = join(ROOT, 'test/fixtures/flink-metadata/flink1.17-v4-rocksdb-checkpoint/_metadata');

/** The Node.js major version of the functions' runtime (`runtime: nodejs20` in s.yaml). */
export const RUNTIME_NODE_MAJOR = 20;

/**
 * A warning when this node is not the runtime's major version: V8 refuses a cache written by another
 * version, so the deployed functions would compile at every cold start. Undefined when all is well.
 */
export function codeCacheVersionWarning(version: string = process.version): string | undefined {
  const major = Number(/^v(\d+)\./.exec(version)?.[1]);
  if (major === RUNTIME_NODE_MAJOR) return undefined;
  return `Building with Node ${version}: the functions run on nodejs${RUNTIME_NODE_MAJOR}, whose V8 will refuse these code caches, so every cold start will compile the bundle. Build with Node ${RUNTIME_NODE_MAJOR} to deploy (docs/fc-runtime.md §8).`;
}

/** One cache written. */
export interface CodeCacheResult {
  name: string;
  /** 0 when no cache was written. */
  bytes: number;
  ms: number;
  /** Why the training failed: the function then ships without a cache (it works, and compiles at cold start). */
  problem?: string;
}

/**
 * Trains and writes the code cache of each named function built under `outRoot`. A function without a
 * workload here gets no cache (its entry then compiles the bundle, as any Node module is); neither does
 * one whose training fails, which its result says, so a route broken while being worked on does not stop
 * the build (the bundle tests then fail).
 */
export async function writeCodeCaches(outRoot: string, names: readonly string[]): Promise<CodeCacheResult[]> {
  const trained = names.filter((n) => n in WORKLOADS);
  if (trained.length === 0) return [];
  const server = await startOssServer({ port: 0, accessKeys: [KEY], buckets: [BUCKET] });
  try {
    const env = localFunctionEnv(server.port, BUCKET, { id: 'training', secret: TOKEN });
    const config = loadConfig(env);
    const store = new OssHttpStore({ config: config.oss, credentials: () => KEY });
    const results: CodeCacheResult[] = [];
    // One at a time: the instances share the bucket, and each one's cache is what matters, not the speed.
    for (const name of trained) {
      const started = performance.now();
      let instance: TrainingInstance | undefined;
      try {
        instance = await TrainingInstance.start(join(outRoot, name), name, env);
        await (WORKLOADS[name] as Workload)(instance, store);
        results.push({ name, bytes: await instance.finish(), ms: performance.now() - started });
      } catch (error) {
        const problem = error instanceof Error ? error.message : String(error);
        results.push({ name, bytes: 0, ms: performance.now() - started, problem });
      } finally {
        instance?.kill();
      }
    }
    return results;
  } finally {
    await server.close();
  }
}

/**
 * The environment a built function runs with against a local OSS server on `port`: the bucket by host
 * name (as FC reaches OSS), 100 KiB parts, errors only in the log, and one API token allowed everything.
 */
export function localFunctionEnv(
  port: number,
  bucket: string,
  token: { id: string; secret: string },
): Record<string, string> {
  return {
    OSS_BUCKET: bucket,
    OSS_REGION: REGION,
    OSS_ENDPOINT: `http://localhost:${port}`,
    OSS_PUBLIC_ENDPOINT: `http://localhost:${port}`,
    OSS_PATH_STYLE: 'true',
    OSS_SECURE: 'false',
    OSS_INTERNAL: 'false',
    OSS_CHUNK_SIZE: String(PART),
    LOG_LEVEL: 'error',
    API_TOKENS: JSON.stringify([{ id: token.id, sha256: tokenDigest(token.secret), namespaces: '*', actions: '*' }]),
  };
}

/** One fresh instance of a built function, invoked over IPC as FC invokes a handler. */
class TrainingInstance {
  private invocations = 0;
  private stderr = '';

  private constructor(
    private readonly child: ChildProcess,
    private readonly name: string,
  ) {
    child.stderr?.on('data', (chunk: Buffer) => {
      this.stderr += chunk.toString('utf8');
    });
  }

  static async start(dir: string, name: string, env: Record<string, string>): Promise<TrainingInstance> {
    const child = fork(TRAINER, [dir, join(dir, CODE_CACHE_FILE), CODE_CACHE_STATE.description as string], {
      // No flags of this process (tsx's loader), none of V8: the cache must match a plain `node`.
      execArgv: [],
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    const instance = new TrainingInstance(child, name);
    await instance.next('ready');
    return instance;
  }

  /** Invokes the handler with `event`; resolves with what it returned. */
  async invoke(event: unknown): Promise<unknown> {
    this.invocations++;
    const context = {
      requestId: `code-cache-${this.invocations}`,
      credentials: mintTemporaryCredentials(KEY, 3600),
      function: { name: this.name, handler: 'index.handler', memory: 512, timeout: 60 },
      service: { logProject: '', logStore: '', qualifier: 'LATEST', versionId: '' },
      region: REGION,
      accountId: ACCOUNT_ID,
    };
    this.child.send({ event, context, initialize: this.invocations === 1 });
    const reply = await this.next('result');
    if (reply['error']) throw new Error(`${this.name} threw while training its code cache: ${reply['error']}`);
    return reply['result'];
  }

  /** An HTTP request through the function; fails unless it answers `status`. Resolves with the JSON body. */
  async http(
    status: number,
    method: string,
    url: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<Record<string, unknown>> {
    const payload = typeof body === 'string' ? body : body === undefined ? '' : JSON.stringify(body);
    const event = toFcHttpEvent(
      {
        method,
        url,
        httpVersion: '1.1',
        rawHeaders: Object.entries({
          authorization: `Bearer ${TOKEN}`,
          'content-type': 'application/json',
          ...headers,
        }).flat(),
        remoteAddress: '127.0.0.1',
        body: Buffer.from(payload),
      },
      { requestId: randomUUID(), accountId: ACCOUNT_ID, domainPrefix: this.name, now: new Date() },
    );
    const result = (await this.invoke(event)) as FcHttpResult;
    const text = result.isBase64Encoded ? Buffer.from(result.body, 'base64').toString('utf8') : result.body;
    if (result.statusCode !== status)
      throw new Error(`${this.name}: ${method} ${url} answered ${result.statusCode}, not ${status}: ${text}`);
    return text.startsWith('{') ? JSON.parse(text) : {};
  }

  /** Writes the cache; resolves with its size. */
  async finish(): Promise<number> {
    this.child.send({ t: 'finish' });
    return (await this.next('written'))['bytes'] as number;
  }

  kill(): void {
    if (this.child.exitCode === null) this.child.kill();
  }

  private next(kind: string): Promise<Record<string, unknown>> {
    return new Promise((resolve, reject) => {
      const onMessage = (message: Record<string, unknown>) => {
        if (message['t'] !== kind) return;
        this.child.off('exit', onExit);
        this.child.off('message', onMessage);
        resolve(message);
      };
      const onExit = (code: number | null) =>
        reject(new Error(`${this.name} exited (${code}) while training its code cache: ${firstLines(this.stderr, 8)}`));
      this.child.on('message', onMessage);
      this.child.once('exit', onExit);
    });
  }
}

/** The first `n` lines of a process's error output: the error and where it was thrown, not every frame. */
function firstLines(text: string, n: number): string {
  return text.trim().split('\n').slice(0, n).join('\n');
}

type Workload = (fn: TrainingInstance, store: OssHttpStore) => Promise<void>;

/** Puts `size` bytes through a presigned URL, as a user's client would. */
async function put(url: unknown, size: number, headers?: unknown): Promise<void> {
  const res = await fetch(String(url), {
    method: 'PUT',
    headers: (headers ?? {}) as Record<string, string>,
    body: Buffer.alloc(size, 7),
  });
  if (!res.ok) throw new Error(`PUT through a presigned URL answered ${res.status}: ${await res.text()}`);
}

function ossEvent(eventName: string, key: string, eTag: string, size: number): unknown {
  return buildPayload(
    {
      eventName,
      bucket: BUCKET,
      key,
      eTag,
      size,
      deltaSize: size,
      time: new Date(),
      requestId: randomUUID(),
      sourceIp: '127.0.0.1',
    },
    { region: REGION, accountId: ACCOUNT_ID, ruleId: 'code-cache' },
  );
}

const timerEvent = () => ({ triggerTime: new Date().toISOString(), triggerName: 'code-cache', payload: '' });

/** What each function's training instance answers: every route or event kind it serves on its first requests. */
const WORKLOADS: Record<string, Workload> = {
  async 'presign-api'(fn) {
    const ns = 'code-cache';
    await fn.http(200, 'GET', '/healthz');
    const single = await fn.http(201, 'POST', '/v1/uploads', { namespace: ns, name: 'job.jar', size: 1024 });
    await put(single['url'], 1024, single['headers']);
    await fn.http(201, 'POST', '/v1/uploads/form', { namespace: ns, name: 'form.jar', size: 1024 });
    await fn.http(201, 'POST', '/v1/downloads', { namespace: ns, name: 'job.jar' });
    await fn.http(200, 'GET', `/v1/artifacts?namespace=${ns}`);
    await fn.http(200, 'GET', `/v1/artifacts/${ns}/job.jar`);
    const plan = await fn.http(201, 'POST', '/v1/uploads', { namespace: ns, name: 'big.jar', size: PART + 1000 });
    const uploadId = String(plan['uploadId']);
    await fn.http(200, 'GET', `/v1/uploads/${uploadId}`);
    for (const part of plan['parts'] as Array<{ url: string; size: number }>) await put(part.url, part.size);
    await fn.http(200, 'POST', `/v1/uploads/${uploadId}/parts`, {});
    await fn.http(200, 'POST', `/v1/uploads/${uploadId}/complete`, {});
    const dropped = await fn.http(201, 'POST', '/v1/uploads', { namespace: ns, name: 'gone.jar', size: PART + 1000 });
    await fn.http(204, 'DELETE', `/v1/uploads/${String(dropped['uploadId'])}`);
    await fn.http(204, 'DELETE', `/v1/artifacts/${ns}/job.jar`);
  },

  async 'artifact-catalog'(fn, store) {
    const key = 'artifacts/namespaces/code-cache/job.jar';
    await store.put(key, jobJar());
    const info = await store.head(key);
    if (!info) throw new Error(`${key} vanished from the training bucket`);
    await fn.invoke(ossEvent('ObjectCreated:PutObject', key, info.etag, info.size));
    await store.delete(key);
    await fn.invoke(ossEvent('ObjectRemoved:DeleteObject', key, info.etag, 0));
    await fn.invoke({ reconcile: true });
  },

  async 'state-pruner'(fn, store) {
    const job =
      'flink-jobs/namespaces/code-cache/deployments/dep-1/checkpoints/jobs/0f3b6e3c-1d2a-4a57-9a0e-5c1f0e2b7d11/0f3b6e3c1d2a4a579a0e5c1f0e2b7d11';
    for (const n of [1, 2]) {
      await store.put(`${job}/chk-${n}/_metadata`, readFileSync(CHECKPOINT));
      await store.put(`${job}/shared/${randomUUID()}`, Buffer.alloc(1024, n));
    }
    await fn.invoke(timerEvent());
  },

  async 'log-shipper'(fn) {
    const records = Array.from(
      { length: 20 },
      (_, n) => `${JSON.stringify({ time: new Date().toISOString(), level: 'INFO', message: `record ${n}` })}\n`,
    ).join('');
    await fn.http(200, 'POST', '/v1/logs?namespace=code-cache&deployment=training', records, {
      'content-type': 'application/x-ndjson',
      'idempotency-key': randomUUID(),
    });
  },
};
