import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningOssServer } from '../../../local/oss';
import { aliClient, BUCKET, signedFetch, startTestServer, xmlField } from './helpers';

let server: RunningOssServer;
const logs: string[] = [];
beforeAll(async () => {
  server = await startTestServer({ log: (l) => logs.push(l) });
  await aliClient(server).put('exists.txt', Buffer.from('x'));
});
afterAll(() => server.close());

const subresources = [
  'acl',
  'tagging',
  'uploads',
  'uploadId',
  'partNumber',
  'delete',
  'append',
  'position',
  'objectMeta',
  'cors',
  'lifecycle',
  'location',
  'bucketInfo',
  'list-type',
  'max-keys',
  'marker',
  'prefix',
  'delimiter',
  'continuation-token',
  'encoding-type',
  'response-content-type',
  'versioning',
  'x-oss-process',
];
const headerNames = [
  'content-md5',
  'range',
  'if-match',
  'if-modified-since',
  'x-oss-copy-source',
  'x-oss-copy-source-range',
  'x-oss-forbid-overwrite',
  'x-oss-server-side-encryption',
  'x-oss-tagging',
  'x-oss-object-acl',
  'x-oss-acl',
  'x-oss-storage-class',
  'x-oss-metadata-directive',
  'x-oss-complete-all',
  'x-oss-meta-a',
  'content-type',
  'x-oss-hash-crc64ecma',
];
const value = fc.oneof(
  fc.constant(''),
  fc.string({ maxLength: 12 }),
  fc.constantFrom(
    '1',
    '0',
    '-1',
    '10001',
    '2',
    'true',
    'yes',
    'url',
    'bytes=0-1',
    'AES256',
    '/test-bucket/exists.txt',
    '/nope',
    'private',
    'Archive',
    'REPLACE',
  ),
);
const body = fc.oneof(
  fc.constant(''),
  fc.string({ maxLength: 60 }),
  fc.constantFrom(
    '<Delete><Object><Key>a</Key></Object></Delete>',
    '<Tagging><TagSet><Tag><Key>k</Key></Tag></TagSet></Tagging>',
    '<CompleteMultipartUpload><Part><PartNumber>x</PartNumber></Part></CompleteMultipartUpload>',
    '<CORSConfiguration/>',
    '<a><b></a>',
    '<?xml version="1.0"?><LifecycleConfiguration><Rule/></LifecycleConfiguration>',
  ),
);

describe('malformed and unusual requests', () => {
  it('always get an OSS answer, never an internal error, and the server keeps serving', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('GET', 'PUT', 'POST', 'DELETE', 'HEAD'),
        fc.constantFrom('', 'exists.txt', 'k', 'dir/', '中 文+%#'),
        fc.array(fc.tuple(fc.constantFrom(...subresources), value), { maxLength: 3 }),
        fc.array(fc.tuple(fc.constantFrom(...headerNames), value), { maxLength: 3 }),
        body,
        async (method, key, query, headers, text) => {
          const res = await signedFetch(server, method, key, {
            query,
            headers: Object.fromEntries(headers.filter(([, v]) => /^[\x20-\x7e]*$/.test(v))),
            ...(method === 'GET' || method === 'HEAD' ? {} : { body: text }),
          });
          const payload = await res.text();
          expect(res.status).not.toBe(500);
          expect(res.headers.get('x-oss-request-id')).toMatch(/^[0-9A-F]{24}$/);
          if (res.status >= 400 && method !== 'HEAD') expect(xmlField(payload, 'Code')).toBeTruthy();
        },
      ),
      { numRuns: Number(process.env.FUZZ_RUNS ?? 300) },
    );
    expect(logs.filter((l) => l.startsWith('internal error'))).toEqual([]);
    // The fuzz may have emptied and deleted the bucket (DeleteBucket is among what it can send).
    await aliClient(server).putBucket(BUCKET);
    await aliClient(server).put('after-fuzz.txt', Buffer.from('still serving'));
    expect(String((await aliClient(server).get('after-fuzz.txt')).content)).toBe('still serving');
  }, 60_000);
});
