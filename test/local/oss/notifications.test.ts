import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { OssEventPayload, RunningOssServer } from '../../../local/oss';
import { Notifier } from '../../../local/oss/notifications';
import { signPostPolicy } from '../../../shared/storage/signing';
import { aliClient, BUCKET, ROOT, startTestServer } from './helpers';

let server: RunningOssServer;
beforeEach(async () => {
  server = await startTestServer();
});
afterEach(() => server.close());

function collect(events: string[], filter: { prefix?: string; suffix?: string } = {}): OssEventPayload[] {
  const received: OssEventPayload[] = [];
  server.notifications.subscribe({ bucket: BUCKET, events, ...filter }, async (payload) => {
    received.push(payload);
  });
  return received;
}

const names = (received: OssEventPayload[]) =>
  received.map((p) => `${p.events[0]!.eventName} ${p.events[0]!.oss.object.key}`);

describe('OSS event notifications, as an FC OSS trigger receives them', () => {
  it('emits the exact payload for every write and delete the pack cares about', async () => {
    const created = collect(['oss:ObjectCreated:*']);
    const removed = collect(['oss:ObjectRemoved:DeleteObject', 'oss:ObjectRemoved:DeleteObjects']);
    const client = aliClient(server);
    const put = await client.put('ev/a b+中.jar', Buffer.from('12345'));
    await client.put('ev/a b+中.jar', Buffer.from('12'));
    await client.copy('ev/copy.jar', 'ev/a b+中.jar');
    await client.append('ev/log.txt', Buffer.from('abc'));
    await client.append('ev/log.txt', Buffer.from('de'), { position: '3' });
    const mp = await client.multipartUpload('ev/mp.bin', Buffer.alloc(150_000, 1), { partSize: 102_400 });
    const form = signPostPolicy({
      bucket: BUCKET,
      key: 'ev/form.txt',
      credentials: ROOT,
      region: 'cn-hangzhou',
      version: 'v4',
      now: new Date(),
      expiresSeconds: 60,
      contentLength: { min: 0, max: 100 },
    });
    const body = new FormData();
    for (const [k, v] of Object.entries(form.fields)) body.append(k, v);
    body.append('file', new Blob([Buffer.from('form')]), 'f.txt');
    expect((await fetch(`${server.url}/${BUCKET}/`, { method: 'POST', body })).status).toBe(204);
    await client.delete('ev/copy.jar');
    await client.delete('ev/never-existed');
    await client.deleteMulti(['ev/log.txt', 'ev/form.txt', 'ev/missing']);
    await server.notifications.idle();

    expect(names(created)).toEqual([
      'ObjectCreated:PutObject ev/a b+中.jar',
      'ObjectCreated:PutObject ev/a b+中.jar',
      'ObjectCreated:CopyObject ev/copy.jar',
      'ObjectCreated:AppendObject ev/log.txt',
      'ObjectCreated:AppendObject ev/log.txt',
      'ObjectCreated:CompleteMultipartUpload ev/mp.bin',
      'ObjectCreated:PostObject ev/form.txt',
    ]);
    expect(names(removed)).toEqual([
      'ObjectRemoved:DeleteObject ev/copy.jar',
      'ObjectRemoved:DeleteObjects ev/log.txt',
      'ObjectRemoved:DeleteObjects ev/form.txt',
    ]);

    const first = created[0]!.events[0]!;
    expect(first).toEqual({
      eventName: 'ObjectCreated:PutObject',
      eventSource: 'acs:oss',
      eventTime: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z$/),
      eventVersion: '1.0',
      oss: {
        bucket: {
          arn: `acs:oss:cn-hangzhou:1686240967192623:${BUCKET}`,
          name: BUCKET,
          ownerIdentity: '1686240967192623',
          virtualBucket: '',
        },
        object: {
          deltaSize: 5,
          eTag: (put.res.headers.etag as string).replace(/"/g, ''),
          key: 'ev/a b+中.jar',
          size: 5,
        },
        ossSchemaVersion: '1.0',
        ruleId: expect.stringMatching(/^[0-9a-f]{40}$/),
      },
      region: 'cn-hangzhou',
      requestParameters: { sourceIPAddress: '127.0.0.1' },
      responseElements: { requestId: put.res.headers['x-oss-request-id'] },
      userIdentity: { principalId: '1686240967192623' },
    });
    // Overwriting a 5-byte object with 2 bytes.
    expect(created[1]!.events[0]!.oss.object).toMatchObject({ size: 2, deltaSize: -3 });
    expect(created[4]!.events[0]!.oss.object).toMatchObject({ size: 5, deltaSize: 2, position: 3 });
    expect(created[5]!.events[0]!.oss.object.eTag).toBe((mp.res.headers.etag as string).replace(/"/g, ''));
    expect(created[5]!.events[0]!.oss.object.eTag).toMatch(/^[0-9A-F]{32}-2$/);
    expect(removed[0]!.events[0]!.oss.object).toMatchObject({ key: 'ev/copy.jar', size: 2, deltaSize: -2 });
  });

  it('filters by event name, prefix and suffix, and stops after unsubscribing', async () => {
    const jars = collect(['oss:ObjectCreated:PutObject', 'oss:ObjectCreated:CompleteMultipartUpload'], {
      prefix: 'artifacts/',
      suffix: '.jar',
    });
    const received: OssEventPayload[] = [];
    const unsubscribe = server.notifications.subscribe(
      { bucket: BUCKET, events: ['oss:ObjectCreated:*'] },
      async (p) => {
        received.push(p);
      },
    );
    const client = aliClient(server);
    await client.put('artifacts/x.jar', Buffer.from('x'));
    await client.put('artifacts/x.txt', Buffer.from('x'));
    await client.put('other/x.jar', Buffer.from('x'));
    await client.copy('artifacts/y.jar', 'artifacts/x.jar');
    await server.notifications.idle();
    expect(names(jars)).toEqual(['ObjectCreated:PutObject artifacts/x.jar']);
    expect(received).toHaveLength(4);
    unsubscribe();
    await client.put('artifacts/z.jar', Buffer.from('x'));
    await server.notifications.idle();
    expect(received).toHaveLength(4);
    expect(jars).toHaveLength(2);
  });

  it('retries a delivery that throws, with the same payload, until it succeeds', async () => {
    server.notifications.configure({ retryBaseMs: 5 });
    const attempts: OssEventPayload[] = [];
    server.notifications.subscribe({ bucket: BUCKET, events: ['oss:ObjectCreated:*'] }, async (payload) => {
      attempts.push(payload);
      if (attempts.length < 3) throw new Error('function failed');
    });
    await aliClient(server).put('retry.txt', Buffer.from('r'));
    await server.notifications.idle();
    expect(attempts).toHaveLength(3);
    expect(attempts[2]).toEqual(attempts[0]);
  });

  it('is delivered asynchronously, only after the write is visible', async () => {
    const client = aliClient(server);
    const seen: string[] = [];
    server.notifications.subscribe({ bucket: BUCKET, events: ['oss:ObjectCreated:PutObject'] }, async (payload) => {
      seen.push(String((await client.get(payload.events[0]!.oss.object.key)).content));
    });
    await client.put('visible.txt', Buffer.from('durable'));
    await server.notifications.idle();
    expect(seen).toEqual(['durable']);
  });

  it('can duplicate and reorder deliveries for tests of idempotent handlers', async () => {
    server.notifications.configure({ duplicateProbability: 1, maxAttempts: 1 });
    let deliveries = 0;
    server.notifications.subscribe({ bucket: BUCKET, events: ['oss:ObjectCreated:*'] }, async () => {
      deliveries++;
      // Stop the duplicate chain (probability 1 would otherwise go on for ever).
      if (deliveries >= 3) server.notifications.configure({ duplicateProbability: 0 });
    });
    await aliClient(server).put('dup.txt', Buffer.from('d'));
    await server.notifications.idle();
    expect(deliveries).toBe(3);

    server.notifications.configure({ duplicateProbability: 0, reorderWindowMs: 40 });
    const order: string[] = [];
    server.notifications.subscribe({ bucket: BUCKET, events: ['oss:ObjectCreated:*'], prefix: 'order/' }, async (p) => {
      order.push(p.events[0]!.oss.object.key);
    });
    const keys = Array.from({ length: 20 }, (_, i) => `order/${String(i).padStart(2, '0')}`);
    await Promise.all(keys.map((key) => aliClient(server).put(key, Buffer.from('o'))));
    await server.notifications.idle();
    // Every event still arrives exactly once; the reordering itself is checked deterministically below.
    expect([...order].sort()).toEqual(keys);
  });
});

describe('Notifier delivery knobs (deterministic)', () => {
  const change = (key: string) => ({
    eventName: 'ObjectCreated:PutObject',
    bucket: 'b',
    key,
    eTag: 'E',
    size: 1,
    deltaSize: 1,
    time: new Date(),
    requestId: 'R',
    sourceIp: '127.0.0.1',
  });

  it('delays each delivery by a random part of the reorder window, so later events can overtake', async () => {
    const rolls = [0.9, 0.05];
    const notifier = new Notifier({
      region: 'cn-hangzhou',
      accountId: '1',
      log: () => {},
      random: () => rolls.shift() ?? 0,
    });
    notifier.configure({ reorderWindowMs: 60 });
    const order: string[] = [];
    notifier.subscribe({ bucket: 'b', events: ['oss:ObjectCreated:*'] }, async (p) => {
      order.push(p.events[0]!.oss.object.key);
    });
    notifier.publish(change('first'));
    notifier.publish(change('second'));
    await notifier.idle();
    expect(order).toEqual(['second', 'first']);
  });

  it('gives up after maxAttempts and logs it', async () => {
    const lines: string[] = [];
    const notifier = new Notifier({ region: 'cn-hangzhou', accountId: '1', log: (l) => lines.push(l) });
    notifier.configure({ maxAttempts: 2, retryBaseMs: 1 });
    let attempts = 0;
    notifier.subscribe({ bucket: 'b', events: ['oss:ObjectCreated:*'] }, async () => {
      attempts++;
      throw new Error('down');
    });
    notifier.publish(change('k'));
    await notifier.idle();
    expect(attempts).toBe(2);
    expect(lines[0]).toContain('dropped after 2 attempts');
  });
});
