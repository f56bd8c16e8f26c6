import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningOssServer } from '../../../local/oss';
import { ossOptionsFromEnv } from '../../../local/oss/env';
import { aliClient, startTestServer } from './helpers';

const DAY = 86_400_000;

describe("the server's clock", () => {
  let server: RunningOssServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    await server.close();
  });

  it('stamps writes with the shifted time, in listings and in Last-Modified, while reads stay signed in real time', async () => {
    const client = aliClient(server);
    await client.put('fresh.txt', Buffer.from('x'));
    server.clock.setOffset(-40 * DAY);
    expect(server.clock.offsetMs).toBe(-40 * DAY);
    await client.put('old.txt', Buffer.from('x'));
    server.clock.setOffset(0);
    const listed = await client.list({ prefix: '', 'max-keys': 10 }, {});
    const objects = listed.objects as Array<{ name: string; lastModified: string }>;
    const times = new Map(objects.map((o) => [o.name, Date.parse(o.lastModified)]));
    const fresh = times.get('fresh.txt') as number;
    const old = times.get('old.txt') as number;
    expect(Math.abs(fresh - Date.now())).toBeLessThan(60_000);
    expect(Math.abs(fresh - old - 40 * DAY)).toBeLessThan(60_000);
    const head = await client.head('old.txt');
    expect(Date.parse((head.res.headers as Record<string, string>)['last-modified'] as string)).toBe(old);
  });

  it('refuses an offset that is not a whole number of milliseconds', () => {
    expect(() => server.clock.setOffset(0.5)).toThrow(/clock offset/);
  });

  it('takes LOCAL_OSS_CLOCK_OFFSET as a signed duration', () => {
    expect(ossOptionsFromEnv({ LOCAL_OSS_CLOCK_OFFSET: '-40d' }, 'fallback-token').clockOffsetMs).toBe(-40 * DAY);
    expect(ossOptionsFromEnv({ LOCAL_OSS_CLOCK_OFFSET: '2h' }, 'fallback-token').clockOffsetMs).toBe(7_200_000);
    expect(ossOptionsFromEnv({}, 'fallback-token').clockOffsetMs).toBeUndefined();
    expect(() => ossOptionsFromEnv({ LOCAL_OSS_CLOCK_OFFSET: 'yesterday' }, 'fallback-token')).toThrow(
      /LOCAL_OSS_CLOCK_OFFSET must be a duration/,
    );
  });

  it('starts shifted when asked to', async () => {
    const shifted = await startTestServer({ clockOffsetMs: -DAY });
    try {
      expect(Math.abs(shifted.clock.now().getTime() - (Date.now() - DAY))).toBeLessThan(1000);
    } finally {
      await shifted.close();
    }
  });
});
