import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningOssServer } from '../../../local/oss';
import { aliClient, failure, startTestServer, xmlField } from './helpers';

let server: RunningOssServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

describe('fault injection per operation', () => {
  it('fails the chosen operation with 500 InternalError or 503 SlowDown, then recovers', async () => {
    const client = aliClient(server);
    server.faults.set('PutObject', { internalError: 1, times: 1 });
    expect(await failure(client.put('f.txt', Buffer.from('x')))).toMatchObject({ code: 'InternalError', status: 500 });
    expect((await client.put('f.txt', Buffer.from('x'))).res.status).toBe(200);
    server.faults.set('GetObject', { slowDown: 1 });
    expect(await failure(client.get('f.txt'))).toMatchObject({ code: 'SlowDown', status: 503 });
    // Other operations are untouched.
    expect((await client.head('f.txt')).status).toBe(200);
    server.faults.clear();
    expect(String((await client.get('f.txt')).content)).toBe('x');
  });

  it('resets connections and adds latency', async () => {
    const client = aliClient(server);
    server.faults.set('HeadObject', { reset: 1, times: 1 });
    const reset = await failure(client.head('f.txt'));
    expect(reset.status).toBe(-1);
    // The reset was for one request only: the server still answers, here refusing an unsigned HEAD.
    const unsigned = await fetch(`${server.url}/test-bucket/f.txt`, { method: 'HEAD' });
    expect(unsigned.status).toBe(403);
    expect(xmlField(Buffer.from(unsigned.headers.get('x-oss-err') ?? '', 'base64').toString(), 'Code')).toBe(
      'AccessDenied',
    );
    server.faults.set('*', { latencyMs: 150 });
    const started = Date.now();
    await client.get('f.txt');
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    server.faults.clear();
  });

  it('lets a probability decide, request by request', async () => {
    const client = aliClient(server);
    server.faults.set('GetObject', { internalError: 0.5 });
    const outcomes = await Promise.all(
      Array.from({ length: 60 }, () =>
        client.get('f.txt').then(
          () => 'ok',
          (e: { status: number }) => e.status,
        ),
      ),
    );
    server.faults.clear();
    expect(outcomes.filter((o) => o === 500).length).toBeGreaterThan(5);
    expect(outcomes.filter((o) => o === 'ok').length).toBeGreaterThan(5);
  });
});
