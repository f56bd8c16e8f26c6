import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../shared/config';
import { AliOssStore, backoffDelay, StorageError, toStorageError, withRetry } from '../../../shared/storage';
import type { AliOssClient } from '../../../shared/storage/ali-oss-store';

function ossError(status: number, code: string): Error {
  return Object.assign(new Error(`${code} message`), { status, code, name: `${code}Error`, requestId: 'RID' });
}

describe('toStorageError', () => {
  it.each([
    [ossError(404, 'NoSuchKey'), 'OSS_NOT_FOUND', false],
    [ossError(409, 'FileAlreadyExists'), 'OSS_ALREADY_EXISTS', false],
    [ossError(403, 'SignatureDoesNotMatch'), 'OSS_ACCESS_DENIED', false],
    [ossError(412, 'PreconditionFailed'), 'OSS_PRECONDITION_FAILED', false],
    [ossError(503, 'SlowDown'), 'OSS_THROTTLED', true],
    [ossError(500, 'InternalError'), 'OSS_UNAVAILABLE', true],
    [ossError(400, 'InvalidArgument'), 'OSS_INVALID_REQUEST', false],
    [
      Object.assign(new Error('socket hang up'), { status: -1, name: 'ResponseError', code: 'ECONNRESET' }),
      'OSS_NETWORK',
      true,
    ],
    [Object.assign(new Error('timeout'), { status: -2, name: 'ResponseTimeoutError' }), 'OSS_NETWORK', true],
  ])('classifies %s', (error, code, retryable) => {
    const e = toStorageError(error, 'GetObject', 'a/b.jar');
    expect(e.code).toBe(code);
    expect(e.retryable).toBe(retryable);
    expect(e.message).toMatch(/^GetObject "a\/b\.jar" failed: /);
  });

  it('keeps the OSS code and request id for support', () => {
    const e = toStorageError(ossError(503, 'SlowDown'), 'PutObject', 'k');
    expect(e.details).toEqual({ operation: 'PutObject', key: 'k', status: 503, ossCode: 'SlowDown', requestId: 'RID' });
  });
});

describe('withRetry', () => {
  const toError = (e: unknown) => toStorageError(e, 'Op');
  const policy = { attempts: 4, baseDelayMs: 100, maxDelayMs: 1000 };

  it('retries throttling and 5xx with growing, jittered delays, then succeeds', async () => {
    const delays: number[] = [];
    let calls = 0;
    const result = await withRetry(
      async () => {
        calls += 1;
        if (calls < 4) throw ossError(calls === 1 ? 503 : 500, calls === 1 ? 'SlowDown' : 'InternalError');
        return 'done';
      },
      toError,
      policy,
      { sleep: async (ms) => void delays.push(ms), random: () => 0.5 },
    );
    expect(result).toBe('done');
    expect(calls).toBe(4);
    expect(delays).toEqual([50, 100, 200]);
  });

  it('gives up after the last attempt with the last error', async () => {
    let calls = 0;
    await expect(
      withRetry(
        async () => {
          calls += 1;
          throw ossError(503, 'SlowDown');
        },
        toError,
        policy,
        { sleep: async () => undefined },
      ),
    ).rejects.toMatchObject({ code: 'OSS_THROTTLED' });
    expect(calls).toBe(4);
  });

  it('does not retry errors that cannot heal', async () => {
    let calls = 0;
    await expect(
      withRetry(
        async () => {
          calls += 1;
          throw ossError(403, 'AccessDenied');
        },
        toError,
        policy,
        { sleep: async () => undefined },
      ),
    ).rejects.toBeInstanceOf(StorageError);
    expect(calls).toBe(1);
  });

  it('caps the backoff and never exceeds it', () => {
    for (let retry = 0; retry < 20; retry++) {
      expect(backoffDelay(retry, policy, () => 0.999999)).toBeLessThanOrEqual(Math.min(1000, 100 * 2 ** retry));
      expect(backoffDelay(retry, policy, () => 0)).toBe(0);
    }
  });
});

describe('AliOssStore put with forbid-overwrite', () => {
  // A PUT whose response is lost after OSS stored the object is retried; the retry then meets its own
  // object. Simulated with a client whose first answer is lost; the local server cannot lose answers.
  const config = { ...loadConfig({ OSS_BUCKET: 'b-k-t', OSS_REGION: 'cn-hangzhou' }).oss };
  const md5 = (text: string) => createHash('md5').update(text).digest('hex').toUpperCase();

  function fakeClient(stored: Map<string, string>, loseFirstAnswer: boolean): AliOssClient {
    let puts = 0;
    return {
      async put(name: string, body: Buffer, options?: { headers?: Record<string, string> }) {
        puts += 1;
        if (stored.has(name) && options?.headers?.['x-oss-forbid-overwrite'] === 'true')
          throw Object.assign(new Error('exists'), { status: 409, code: 'FileAlreadyExists' });
        stored.set(name, body.toString());
        if (loseFirstAnswer && puts === 1)
          throw Object.assign(new Error('socket hang up'), { status: -1, name: 'ResponseError', code: 'ECONNRESET' });
        return { res: { status: 200, headers: { etag: `"${md5(body.toString())}"` } } };
      },
      async head(name: string) {
        if (!stored.has(name)) throw Object.assign(new Error('missing'), { status: 404 });
        return { status: 200, res: { status: 200, headers: { etag: `"${md5(stored.get(name)!)}"` } } };
      },
    } as unknown as AliOssClient;
  }

  it('counts a retry that finds its own bytes as success', async () => {
    const stored = new Map<string, string>();
    const store = new AliOssStore({
      config,
      credentials: () => ({ accessKeyId: 'a', accessKeySecret: 'b' }),
      retry: { attempts: 3, baseDelayMs: 1, maxDelayMs: 1 },
      clientFactory: () => fakeClient(stored, true),
    });
    await expect(store.put('k', 'mine', { forbidOverwrite: true })).resolves.toEqual({
      etag: md5('mine'),
      alreadyStored: true,
    });
  });

  it('still refuses when the object there holds other bytes', async () => {
    const stored = new Map([['k', 'someone else']]);
    const store = new AliOssStore({
      config,
      credentials: () => ({ accessKeyId: 'a', accessKeySecret: 'b' }),
      retry: { attempts: 3, baseDelayMs: 1, maxDelayMs: 1 },
      clientFactory: () => fakeClient(stored, false),
    });
    await expect(store.put('k', 'mine', { forbidOverwrite: true })).rejects.toMatchObject({
      code: 'OSS_ALREADY_EXISTS',
    });
  });
});
