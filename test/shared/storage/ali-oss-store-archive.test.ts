import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../shared/config';
import { AliOssStore } from '../../../shared/storage';
import { parseRestoreHeader, parseStorageClass } from '../../../shared/storage/attributes';

/**
 * What OSS answers for archived objects, served by a minimal HTTP server: ali-oss discards the error body of
 * a streamed GET, so the adapter has to tell "archived" from "access denied" by other means.
 */
const objects: Record<string, { storageClass: string; restore?: string }> = {
  'frozen/_metadata': { storageClass: 'Archive' },
  'thawing/_metadata': { storageClass: 'ColdArchive', restore: 'ongoing-request="true"' },
  'thawed/_metadata': {
    storageClass: 'Archive',
    restore: 'ongoing-request="false", expiry-date="Sun, 16 Apr 2099 08:12:33 GMT"',
  },
  'denied/_metadata': { storageClass: 'Standard' },
};
let server: Server;

beforeAll(async () => {
  server = createServer((req, res) => {
    const key = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname.split('/').slice(2).join('/'));
    const o = objects[key];
    if (!o) {
      res.writeHead(404).end();
      return;
    }
    const headers = {
      etag: '"D41D8CD98F00B204E9800998ECF8427E"',
      'last-modified': 'Tue, 01 Dec 2026 00:00:00 GMT',
      'x-oss-storage-class': o.storageClass,
      ...(o.restore && { 'x-oss-restore': o.restore }),
    };
    if (req.method === 'HEAD') {
      res.writeHead(200, { ...headers, 'content-length': '5' }).end();
      return;
    }
    const readable = o.storageClass === 'Standard' ? false : o.restore?.includes('false');
    if (readable) {
      res.writeHead(200, { ...headers, 'content-length': '5' }).end('state');
      return;
    }
    const code = o.storageClass === 'Standard' ? 'AccessDenied' : 'InvalidObjectState';
    res
      .writeHead(403, { 'content-type': 'application/xml' })
      .end(`<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>no</Message></Error>`);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

function store(): AliOssStore {
  const config = loadConfig({
    OSS_BUCKET: 'archive-test',
    OSS_REGION: 'cn-hangzhou',
    OSS_ENDPOINT: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    OSS_PATH_STYLE: 'true',
  });
  return new AliOssStore({
    config: config.oss,
    credentials: () => ({ accessKeyId: 'k', accessKeySecret: 's' }),
    retry: { attempts: 1, baseDelayMs: 1, maxDelayMs: 1 },
  });
}

describe('AliOssStore and archived objects', () => {
  it('reports the storage class and restore state from HEAD', async () => {
    expect(await store().head('frozen/_metadata')).toMatchObject({ storageClass: 'Archive' });
    expect((await store().head('frozen/_metadata'))?.restore).toBeUndefined();
    expect((await store().head('thawing/_metadata'))?.restore).toEqual({ ongoing: true });
    expect((await store().head('thawed/_metadata'))?.restore).toEqual({
      ongoing: false,
      expiresAt: new Date('2099-04-16T08:12:33Z'),
    });
  });

  it('refuses a GET of an archived object that is not restored with OSS_OBJECT_ARCHIVED', async () => {
    for (const key of ['frozen/_metadata', 'thawing/_metadata'])
      await expect(store().getBuffer(key)).rejects.toMatchObject({
        code: 'OSS_OBJECT_ARCHIVED',
        details: { operation: 'GetObject', key, status: 403, ossCode: 'InvalidObjectState' },
      });
    expect((await store().getBuffer('thawed/_metadata'))?.toString()).toBe('state');
  });

  it('keeps any other 403 of a GET as access denied', async () => {
    await expect(store().getBuffer('denied/_metadata')).rejects.toMatchObject({ code: 'OSS_ACCESS_DENIED' });
  });
});

describe('storage attribute parsing', () => {
  it('reads storage classes in any case, Standard when absent or unknown', () => {
    expect(parseStorageClass('STANDARD')).toBe('Standard');
    expect(parseStorageClass('coldarchive')).toBe('ColdArchive');
    expect(parseStorageClass('DeepColdArchive')).toBe('DeepColdArchive');
    expect(parseStorageClass(undefined)).toBe('Standard');
    expect(parseStorageClass('Glacier')).toBe('Standard');
  });

  it('reads x-oss-restore', () => {
    expect(parseRestoreHeader('ongoing-request="true"')).toEqual({ ongoing: true });
    expect(parseRestoreHeader('ongoing-request="false", expiry-date="Sun, 16 Apr 2017 08:12:33 GMT"')).toEqual({
      ongoing: false,
      expiresAt: new Date('2017-04-16T08:12:33Z'),
    });
    expect(parseRestoreHeader(undefined)).toBeUndefined();
    expect(parseRestoreHeader('ongoing-request="false"')).toBeUndefined();
    expect(parseRestoreHeader('ongoing-request="false", expiry-date="not a date"')).toBeUndefined();
  });
});
