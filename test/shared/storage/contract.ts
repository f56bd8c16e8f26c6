import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { type ObjectStore, StorageError } from '../../../shared/storage';

/** What a store under contract can do beyond the baseline; each missing feature skips its cases. */
export interface StoreContractFeatures {
  /**
   * Refuses reads of Archive/ColdArchive objects until restored, and reports the restore state. `restore`
   * brings an archived object to the "restored until tomorrow" state the way the store's backend can.
   */
  archive?: { restore(store: ObjectStore, key: string): Promise<void> };
}

/** Every part of a multipart upload but the last must be at least this big (OSS's minimum). */
const MIN_PART = 100 * 1024;

// Known answers computed outside the code under test: MD5 by node:crypto, CRC-64/XZ of "123456789".
const md5Hex = (bytes: Buffer | string) => createHash('md5').update(bytes).digest('hex').toUpperCase();
const md5Base64 = (bytes: Buffer | string) => createHash('md5').update(bytes).digest('base64');
const CRC64_OF_123456789 = '11051210869376104954';

async function readAll(body: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of body) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

async function failure(promise: Promise<unknown>): Promise<StorageError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(StorageError);
    return error as StorageError;
  }
  throw new Error('expected the call to fail');
}

async function listAll(
  store: ObjectStore,
  options: Parameters<ObjectStore['list']>[0],
): Promise<{ pages: number; keys: string[]; prefixes: string[]; sizes: number[] }> {
  const out = { pages: 0, keys: [] as string[], prefixes: [] as string[], sizes: [] as number[] };
  for await (const page of store.list(options)) {
    out.pages += 1;
    out.keys.push(...page.objects.map((o) => o.key));
    out.sizes.push(page.objects.length + page.prefixes.length);
    out.prefixes.push(...page.prefixes);
  }
  return out;
}

/**
 * The storage port's contract: every operation and its edge semantics exactly as OSS behaves. Run it
 * against each `ObjectStore` implementation; `makeStore` may return the same store each time, since
 * every case works under its own fresh prefix.
 */
export function describeStoreContract(
  name: string,
  makeStore: () => ObjectStore | Promise<ObjectStore>,
  features: StoreContractFeatures = {},
): void {
  describe(`storage contract: ${name}`, () => {
    const fresh = async () => ({ s: await makeStore(), p: `contract-${randomUUID()}/` });

    describe('reads', () => {
      it('answers undefined for an absent object, from every read', async () => {
        const { s, p } = await fresh();
        expect(await s.head(`${p}missing`)).toBeUndefined();
        expect(await s.get(`${p}missing`)).toBeUndefined();
        expect(await s.getBuffer(`${p}missing`)).toBeUndefined();
        expect(await s.getBuffer(`${p}missing`, { range: { start: 0, end: 1 } })).toBeUndefined();
        expect(await s.getTags(`${p}missing`)).toBeUndefined();
      });

      it('round-trips bytes, content type and meta; reports size, OSS ETag, CRC-64, type and class', async () => {
        const { s, p } = await fresh();
        const key = `${p}dir/a b+中文.jar`;
        const bytes = randomBytes(5000);
        const before = Date.now();
        const put = await s.put(key, bytes, {
          contentType: 'application/java-archive',
          meta: { Origin: 'contract', 'build-id': '42' },
          encryption: { algorithm: 'AES256' },
          cacheControl: 'no-cache',
        });
        expect(put.etag).toBe(md5Hex(bytes));
        const info = await s.head(key);
        expect(info).toMatchObject({
          key,
          size: 5000,
          etag: md5Hex(bytes),
          contentType: 'application/java-archive',
          meta: { origin: 'contract', 'build-id': '42' },
          objectType: 'Normal',
          storageClass: 'Standard',
        });
        expect(info?.restore).toBeUndefined();
        // OSS keeps whole seconds.
        expect(info!.lastModified.getTime() % 1000).toBe(0);
        expect(info!.lastModified.getTime()).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000 - 5000);
        expect(info!.lastModified.getTime()).toBeLessThanOrEqual(Date.now() + 5000);
        expect(Buffer.compare((await s.getBuffer(key))!, bytes)).toBe(0);
        const whole = await s.get(key);
        expect(whole!.info).toEqual(info);
        expect(Buffer.compare(await readAll(whole!.body), bytes)).toBe(0);

        await s.put(`${p}crc`, '123456789');
        expect((await s.head(`${p}crc`))?.crc64).toBe(CRC64_OF_123456789);
      });

      it('stores application/octet-stream when no type is given, whatever the extension', async () => {
        const { s, p } = await fresh();
        await s.put(`${p}notes.txt`, 'plain');
        expect((await s.head(`${p}notes.txt`))?.contentType).toBe('application/octet-stream');
        expect((await s.head(`${p}notes.txt`))?.meta).toEqual({});
      });

      it('writes strings as UTF-8 and empty objects with the empty MD5', async () => {
        const { s, p } = await fresh();
        await s.put(`${p}utf8`, 'héllo 中文');
        expect((await s.getBuffer(`${p}utf8`))!.toString('utf8')).toBe('héllo 中文');
        expect((await s.head(`${p}utf8`))?.size).toBe(Buffer.byteLength('héllo 中文'));
        const empty = await s.put(`${p}empty`, Buffer.alloc(0));
        expect(empty.etag).toBe('D41D8CD98F00B204E9800998ECF8427E');
        expect((await s.getBuffer(`${p}empty`))!.length).toBe(0);
      });

      it('reads byte ranges: bounded, open-ended, cut at the end; the info names the whole object', async () => {
        const { s, p } = await fresh();
        const key = `${p}ranged`;
        const bytes = randomBytes(5000);
        await s.put(key, bytes);
        const ranged = await s.get(key, { range: { start: 100, end: 199 } });
        expect(ranged!.info).toMatchObject({ size: 5000, etag: md5Hex(bytes) });
        expect(Buffer.compare(await readAll(ranged!.body), bytes.subarray(100, 200))).toBe(0);
        expect(Buffer.compare((await s.getBuffer(key, { range: { start: 4990 } }))!, bytes.subarray(4990))).toBe(0);
        expect(
          Buffer.compare((await s.getBuffer(key, { range: { start: 4000, end: 9999 } }))!, bytes.subarray(4000)),
        ).toBe(0);
        expect(
          Buffer.compare((await s.getBuffer(key, { range: { start: 4999, end: 4999 } }))!, bytes.subarray(4999)),
        ).toBe(0);
      });

      it('refuses a range that starts at or past the end with OSS_INVALID_RANGE', async () => {
        const { s, p } = await fresh();
        await s.put(`${p}short`, 'ten bytes!');
        const past = await failure(s.getBuffer(`${p}short`, { range: { start: 10 } }));
        expect(past).toMatchObject({
          code: 'OSS_INVALID_RANGE',
          details: { operation: 'GetObject', key: `${p}short`, status: 416, ossCode: 'InvalidRange' },
        });
        expect(past.retryable).toBe(false);
        await s.put(`${p}empty`, '');
        expect(await failure(s.get(`${p}empty`, { range: { start: 0, end: 0 } }))).toMatchObject({
          code: 'OSS_INVALID_RANGE',
        });
      });

      it('streams a Readable into an object', async () => {
        const { s, p } = await fresh();
        const chunks = Array.from({ length: 20 }, (_, i) => Buffer.alloc(10_000, i));
        const put = await s.put(`${p}streamed.bin`, Readable.from(chunks), { contentType: 'application/x-test' });
        const all = Buffer.concat(chunks);
        expect(put.etag).toBe(md5Hex(all));
        expect(await s.head(`${p}streamed.bin`)).toMatchObject({ size: all.length, contentType: 'application/x-test' });
        expect(Buffer.compare((await s.getBuffer(`${p}streamed.bin`))!, all)).toBe(0);
      });
    });

    describe('writes', () => {
      it('refuses to overwrite when asked not to, keeping the first object; overwrites otherwise', async () => {
        const { s, p } = await fresh();
        const key = `${p}once`;
        await s.put(key, 'first', { forbidOverwrite: true });
        const refused = await failure(s.put(key, 'second', { forbidOverwrite: true }));
        expect(refused).toMatchObject({
          code: 'OSS_ALREADY_EXISTS',
          details: { operation: 'PutObject', key, status: 409, ossCode: 'FileAlreadyExists' },
        });
        expect(refused.message).toContain(JSON.stringify(key));
        expect(
          await failure(s.put(key, Readable.from([Buffer.from('third')]), { forbidOverwrite: true })),
        ).toMatchObject({ code: 'OSS_ALREADY_EXISTS' });
        expect((await s.getBuffer(key))!.toString()).toBe('first');
        await s.put(key, 'replaced');
        expect((await s.getBuffer(key))!.toString()).toBe('replaced');
      });

      it('checks Content-MD5', async () => {
        const { s, p } = await fresh();
        await s.put(`${p}good`, 'body', { contentMd5: md5Base64('body') });
        expect((await s.getBuffer(`${p}good`))!.toString()).toBe('body');
        expect(await failure(s.put(`${p}bad`, 'body', { contentMd5: md5Base64('other') }))).toMatchObject({
          code: 'OSS_INVALID_REQUEST',
          details: { status: 400, ossCode: 'InvalidDigest' },
        });
        expect(await s.head(`${p}bad`)).toBeUndefined();
      });

      it('copies bytes, type, meta, ETag and tags; refuses a taken target when asked; 404s a missing source', async () => {
        const { s, p } = await fresh();
        await s.put(`${p}src.txt`, 'copy me', { contentType: 'text/x-src', meta: { a: '1' } });
        await s.putTags(`${p}src.txt`, { 'artifact-status': 'valid' });
        const copied = await s.copy(`${p}src.txt`, `${p}dst.txt`);
        expect(copied.etag).toBe(md5Hex('copy me'));
        expect(await s.head(`${p}dst.txt`)).toMatchObject({
          size: 7,
          etag: md5Hex('copy me'),
          contentType: 'text/x-src',
          meta: { a: '1' },
        });
        expect((await s.getBuffer(`${p}dst.txt`))!.toString()).toBe('copy me');
        expect(await s.getTags(`${p}dst.txt`)).toEqual({ 'artifact-status': 'valid' });
        expect(await failure(s.copy(`${p}src.txt`, `${p}dst.txt`, { forbidOverwrite: true }))).toMatchObject({
          code: 'OSS_ALREADY_EXISTS',
        });
        expect(await failure(s.copy(`${p}nothing`, `${p}dst2.txt`))).toMatchObject({
          code: 'OSS_NOT_FOUND',
          details: { status: 404, ossCode: 'NoSuchKey' },
        });
        expect(await s.head(`${p}dst2.txt`)).toBeUndefined();
      });

      it('refuses keys with "." or ".." segments, which a URL path cannot carry, before sending anything', async () => {
        const { s, p } = await fresh();
        for (const key of [`${p}a/./b.jar`, `${p}a/../b.jar`, `${p}.`]) {
          const refused = await failure(s.put(key, 'x'));
          expect(refused).toMatchObject({
            code: 'OSS_INVALID_REQUEST',
            details: { operation: 'PutObject', key },
            message: expect.stringContaining('"." or ".." segment'),
          });
          expect(refused.details.status).toBeUndefined();
          expect(await failure(s.head(key))).toMatchObject({ code: 'OSS_INVALID_REQUEST' });
          expect(await failure(s.getBuffer(key))).toMatchObject({ code: 'OSS_INVALID_REQUEST' });
        }
        // Dots inside a segment are ordinary characters.
        await s.put(`${p}a/..b/.c`, 'x');
        expect((await s.getBuffer(`${p}a/..b/.c`))!.toString()).toBe('x');
      });

      it('deletes idempotently', async () => {
        const { s, p } = await fresh();
        await s.put(`${p}gone`, 'x');
        await s.delete(`${p}gone`);
        expect(await s.head(`${p}gone`)).toBeUndefined();
        await s.delete(`${p}gone`);
        await s.delete(`${p}never-existed`);
      });

      it('deletes many keys in batches of 1000, reporting each, absent keys included', async () => {
        const { s, p } = await fresh();
        const keys = Array.from({ length: 2003 }, (_, i) => `${p}del/${i}`);
        // A few real objects spread over all three batches; the other names do not exist.
        const existing = [0, 1, 999, 1000, 1999, 2000, 2002].map((i) => keys[i]!);
        await Promise.all(existing.map((k) => s.put(k, 'x')));
        await s.put(`${p}keep`, 'x');
        const result = await s.deleteMany(keys);
        expect(result.failed).toEqual([]);
        expect(result.deleted).toHaveLength(keys.length);
        expect(new Set(result.deleted)).toEqual(new Set(keys));
        expect((await listAll(s, { prefix: p })).keys).toEqual([`${p}keep`]);
        expect(await s.deleteMany([])).toEqual({ deleted: [], failed: [] });
      });
    });

    describe('listing', () => {
      it('lists every key once, in UTF-8 byte order, across pages', async () => {
        const { s, p } = await fresh();
        // In UTF-16 order U+1F600 (a surrogate pair, 0xD83D…) sorts before U+FF61; in UTF-8 it sorts after.
        const names = ['b', 'a', 'a/b', 'a0', 'Z', '\uff61', '\u{1f600}', '中', 'a b', 'a+b', 'é'];
        await Promise.all(names.map((n) => s.put(`${p}${n}`, n)));
        const expected = names
          .map((n) => `${p}${n}`)
          .sort((x, y) => Buffer.compare(Buffer.from(x, 'utf8'), Buffer.from(y, 'utf8')));
        expect(expected.indexOf(`${p}\uff61`)).toBeLessThan(expected.indexOf(`${p}\u{1f600}`));
        const whole = await listAll(s, { prefix: p });
        expect(whole.keys).toEqual(expected);
        expect(whole.pages).toBe(1);
        const paged = await listAll(s, { prefix: p, pageSize: 3 });
        expect(paged.keys).toEqual(expected);
        expect(paged.sizes).toEqual([3, 3, 3, 2]);
      });

      it('reports size, ETag, time and class of each object', async () => {
        const { s, p } = await fresh();
        await s.put(`${p}one`, 'abc');
        await s.put(`${p}two`, 'de', { storageClass: 'IA' });
        const pages = [];
        for await (const page of s.list({ prefix: p })) pages.push(page);
        expect(pages).toHaveLength(1);
        expect(pages[0]!.prefixes).toEqual([]);
        expect(pages[0]!.objects).toEqual([
          { key: `${p}one`, size: 3, etag: md5Hex('abc'), lastModified: expect.any(Date), storageClass: 'Standard' },
          { key: `${p}two`, size: 2, etag: md5Hex('de'), lastModified: expect.any(Date), storageClass: 'IA' },
        ]);
        expect(pages[0]!.objects[0]!.lastModified.getTime()).toBe((await s.head(`${p}one`))!.lastModified.getTime());
      });

      it('rolls keys into common prefixes with a delimiter; a prefix counts as one entry of a page', async () => {
        const { s, p } = await fresh();
        const names = ['a/1', 'a/2', 'a/b/3', 'b', 'c/1', 'c/2', 'd', 'e/'];
        await Promise.all(names.map((n) => s.put(`${p}${n}`, 'x')));
        const top = await listAll(s, { prefix: p, delimiter: '/' });
        expect(top.keys).toEqual([`${p}b`, `${p}d`]);
        expect(top.prefixes).toEqual([`${p}a/`, `${p}c/`, `${p}e/`]);
        const paged = await listAll(s, { prefix: p, delimiter: '/', pageSize: 2 });
        expect(paged.sizes).toEqual([2, 2, 1]);
        expect([...paged.keys, ...paged.prefixes].sort()).toEqual([...top.keys, ...top.prefixes].sort());
        const inner = await listAll(s, { prefix: `${p}a/`, delimiter: '/' });
        expect(inner.keys).toEqual([`${p}a/1`, `${p}a/2`]);
        expect(inner.prefixes).toEqual([`${p}a/b/`]);
      });

      it('resumes after a key (exclusive), also from inside a common prefix', async () => {
        const { s, p } = await fresh();
        const keys = Array.from({ length: 12 }, (_, i) => `${p}k${String(i).padStart(2, '0')}`);
        await Promise.all([...keys, `${p}m/1`, `${p}m/2`, `${p}z`].map((k) => s.put(k, 'x')));
        expect((await listAll(s, { prefix: p, startAfter: keys[9], pageSize: 2 })).keys).toEqual([
          keys[10],
          keys[11],
          `${p}m/1`,
          `${p}m/2`,
          `${p}z`,
        ]);
        expect((await listAll(s, { prefix: p, startAfter: `${p}k99` })).keys).toEqual([`${p}m/1`, `${p}m/2`, `${p}z`]);
        const fromInside = await listAll(s, { prefix: p, delimiter: '/', startAfter: `${p}m/1` });
        expect(fromInside).toMatchObject({ keys: [`${p}z`], prefixes: [] });
        expect((await listAll(s, { prefix: p, startAfter: `${p}zz` })).keys).toEqual([]);
      });

      it('yields one empty page for an empty prefix', async () => {
        const { s, p } = await fresh();
        const pages = [];
        for await (const page of s.list({ prefix: `${p}nothing/`, delimiter: '/' })) pages.push(page);
        expect(pages).toEqual([{ objects: [], prefixes: [] }]);
      });
    });

    describe('tags', () => {
      it('puts, replaces and clears tags; a new write starts without tags', async () => {
        const { s, p } = await fresh();
        const key = `${p}tagged.jar`;
        await s.put(key, 'x');
        expect(await s.getTags(key)).toEqual({});
        await s.putTags(key, { 'artifact-status': 'pending', owner: 'team a' });
        expect(await s.getTags(key)).toEqual({ 'artifact-status': 'pending', owner: 'team a' });
        await s.putTags(key, { 'artifact-status': 'valid' });
        expect(await s.getTags(key)).toEqual({ 'artifact-status': 'valid' });
        await s.putTags(key, {});
        expect(await s.getTags(key)).toEqual({});
        await s.putTags(key, { a: '1' });
        await s.put(key, 'rewritten');
        expect(await s.getTags(key)).toEqual({});
      });

      it('refuses tags of a missing object and tag sets OSS refuses', async () => {
        const { s, p } = await fresh();
        expect(await failure(s.putTags(`${p}missing`, { a: '1' }))).toMatchObject({
          code: 'OSS_NOT_FOUND',
          details: { operation: 'PutObjectTagging', status: 404 },
        });
        await s.put(`${p}x`, 'x');
        const eleven = Object.fromEntries(Array.from({ length: 11 }, (_, i) => [`k${i}`, 'v']));
        expect(await failure(s.putTags(`${p}x`, eleven))).toMatchObject({
          code: 'OSS_INVALID_REQUEST',
          message: expect.stringContaining('at most 10'),
        });
        expect(await failure(s.putTags(`${p}x`, { 'bad<key>': 'v' }))).toMatchObject({ code: 'OSS_INVALID_REQUEST' });
        expect(await failure(s.putTags(`${p}x`, { k: 'v'.repeat(257) }))).toMatchObject({
          code: 'OSS_INVALID_REQUEST',
        });
        expect(await s.getTags(`${p}x`)).toEqual({});
      });
    });

    describe('storage classes', () => {
      it('writes the class asked for and reports it from head and listing; Standard by default', async () => {
        const { s, p } = await fresh();
        await s.put(`${p}std`, 'x');
        await s.put(`${p}ia`, 'x', { storageClass: 'IA' });
        await s.put(`${p}archive`, 'x', { storageClass: 'Archive' });
        await s.put(`${p}cold`, 'x', { storageClass: 'ColdArchive' });
        expect((await s.head(`${p}std`))?.storageClass).toBe('Standard');
        expect((await s.head(`${p}ia`))?.storageClass).toBe('IA');
        expect((await s.head(`${p}archive`))?.storageClass).toBe('Archive');
        expect((await s.getBuffer(`${p}ia`))!.toString()).toBe('x');
        const listed = [];
        for await (const page of s.list({ prefix: p })) listed.push(...page.objects);
        expect(Object.fromEntries(listed.map((o) => [o.key.slice(p.length), o.storageClass]))).toEqual({
          archive: 'Archive',
          cold: 'ColdArchive',
          ia: 'IA',
          std: 'Standard',
        });
      });

      it.runIf(features.archive)(
        'refuses to read an archived object until it is restored (OSS_OBJECT_ARCHIVED), then reads it',
        async () => {
          const { s, p } = await fresh();
          const key = `${p}chk-1/_metadata`;
          await s.put(key, 'state', { storageClass: 'Archive' });
          const info = await s.head(key);
          expect(info).toMatchObject({ size: 5, storageClass: 'Archive' });
          expect(info?.restore).toBeUndefined();
          const refused = await failure(s.getBuffer(key));
          expect(refused).toMatchObject({
            code: 'OSS_OBJECT_ARCHIVED',
            details: { operation: 'GetObject', key, status: 403, ossCode: 'InvalidObjectState' },
          });
          expect(refused.retryable).toBe(false);
          expect(await failure(s.get(key, { range: { start: 0, end: 1 } }))).toMatchObject({
            code: 'OSS_OBJECT_ARCHIVED',
          });
          await s.put(`${p}cold`, 'x', { storageClass: 'ColdArchive' });
          expect(await failure(s.getBuffer(`${p}cold`))).toMatchObject({ code: 'OSS_OBJECT_ARCHIVED' });

          await features.archive!.restore(s, key);
          const restored = await s.head(key);
          expect(restored?.restore).toEqual({ ongoing: false, expiresAt: expect.any(Date) });
          expect((restored!.restore as { expiresAt: Date }).expiresAt.getTime()).toBeGreaterThan(Date.now());
          expect((await s.getBuffer(key))!.toString()).toBe('state');
        },
      );
    });

    describe('multipart', () => {
      it('initiates, uploads and lists parts, completes out of order into one object with a -N ETag', async () => {
        const { s, p } = await fresh();
        const key = `${p}multi.jar`;
        const part1 = randomBytes(MIN_PART);
        const part2 = randomBytes(10);
        const id = await s.multipart.initiate(key, {
          contentType: 'application/java-archive',
          meta: { Source: 'mp' },
          storageClass: 'IA',
        });
        expect(id).toMatch(/^[0-9A-Za-z]{16,}$/);
        const e2 = await s.multipart.uploadPart(key, id, 2, part2);
        const e1 = await s.multipart.uploadPart(key, id, 1, part1);
        expect(e1.etag).toBe(md5Hex(part1));
        expect(await s.head(key)).toBeUndefined();
        const parts = await s.multipart.listParts(key, id);
        expect(parts.map((x) => [x.partNumber, x.size, x.etag])).toEqual([
          [1, MIN_PART, md5Hex(part1)],
          [2, 10, md5Hex(part2)],
        ]);
        expect(parts[0]!.lastModified).toBeInstanceOf(Date);
        const uploads = [];
        for await (const page of s.multipart.listUploads(p)) uploads.push(...page);
        expect(uploads).toEqual([{ key, uploadId: id, initiated: expect.any(Date) }]);

        const done = await s.multipart.complete(key, id, [
          { partNumber: 2, etag: e2.etag },
          { partNumber: 1, etag: e1.etag },
        ]);
        expect(done.etag).toBe(`${md5Hex(md5Hex(part1) + md5Hex(part2))}-2`);
        expect(await s.head(key)).toMatchObject({
          size: MIN_PART + 10,
          etag: done.etag,
          objectType: 'Multipart',
          contentType: 'application/java-archive',
          meta: { source: 'mp' },
          storageClass: 'IA',
        });
        expect(Buffer.compare((await s.getBuffer(key))!, Buffer.concat([part1, part2]))).toBe(0);
        expect(
          Buffer.compare(
            (await s.getBuffer(key, { range: { start: MIN_PART - 2 } }))!,
            Buffer.concat([part1.subarray(-2), part2]),
          ),
        ).toBe(0);
        // A completed upload is gone.
        expect(await failure(s.multipart.listParts(key, id))).toMatchObject({
          code: 'OSS_NOT_FOUND',
          details: { ossCode: 'NoSuchUpload' },
        });
        const after = [];
        for await (const page of s.multipart.listUploads(p)) after.push(...page);
        expect(after).toEqual([]);
      });

      it('refuses a wrong ETag, a too-small part, a bad part number and an unknown upload, keeping the upload', async () => {
        const { s, p } = await fresh();
        const key = `${p}bad.bin`;
        const id = await s.multipart.initiate(key);
        const small = await s.multipart.uploadPart(key, id, 1, Buffer.from('tiny'));
        const last = await s.multipart.uploadPart(key, id, 2, Buffer.from('last'));
        expect(
          await failure(
            s.multipart.complete(key, id, [
              { partNumber: 1, etag: small.etag },
              { partNumber: 2, etag: md5Hex('something else') },
            ]),
          ),
        ).toMatchObject({ code: 'OSS_INVALID_REQUEST', details: { status: 400, ossCode: 'InvalidPart' } });
        expect(await failure(s.multipart.complete(key, id, [{ partNumber: 3, etag: last.etag }]))).toMatchObject({
          details: { ossCode: 'InvalidPart' },
        });
        expect(
          await failure(
            s.multipart.complete(key, id, [
              { partNumber: 1, etag: small.etag },
              { partNumber: 2, etag: last.etag },
            ]),
          ),
        ).toMatchObject({ code: 'OSS_INVALID_REQUEST', details: { ossCode: 'EntityTooSmall' } });
        for (const n of [0, 10_001])
          expect(await failure(s.multipart.uploadPart(key, id, n, Buffer.from('x')))).toMatchObject({
            code: 'OSS_INVALID_REQUEST',
            details: { ossCode: 'InvalidArgument' },
          });
        expect(await failure(s.multipart.uploadPart(key, 'F'.repeat(32), 1, Buffer.from('x')))).toMatchObject({
          code: 'OSS_NOT_FOUND',
          details: { ossCode: 'NoSuchUpload' },
        });
        expect(
          await failure(s.multipart.complete(key, 'F'.repeat(32), [{ partNumber: 1, etag: small.etag }])),
        ).toMatchObject({ code: 'OSS_NOT_FOUND' });
        // Still there after the refusals; a single small part is a valid (last) part.
        expect((await s.multipart.listParts(key, id)).map((x) => x.partNumber)).toEqual([1, 2]);
        const done = await s.multipart.complete(key, id, [{ partNumber: 2, etag: `"${last.etag}"` }]);
        expect(done.etag).toBe(`${md5Hex(md5Hex('last'))}-1`);
        expect((await s.getBuffer(key))!.toString()).toBe('last');
      });

      it('re-uploading a part replaces it', async () => {
        const { s, p } = await fresh();
        const key = `${p}again.bin`;
        const id = await s.multipart.initiate(key);
        await s.multipart.uploadPart(key, id, 1, Buffer.from('old'));
        const fresh1 = await s.multipart.uploadPart(key, id, 1, Buffer.from('new!'));
        expect((await s.multipart.listParts(key, id)).map((x) => [x.size, x.etag])).toEqual([[4, fresh1.etag]]);
        await s.multipart.complete(key, id, [{ partNumber: 1, etag: fresh1.etag }]);
        expect((await s.getBuffer(key))!.toString()).toBe('new!');
      });

      it('aborts idempotently; an aborted upload is gone', async () => {
        const { s, p } = await fresh();
        const key = `${p}aborted.bin`;
        const id = await s.multipart.initiate(key);
        const other = await s.multipart.initiate(`${p}other.bin`);
        await s.multipart.uploadPart(key, id, 1, Buffer.from('x'));
        await s.multipart.abort(key, id);
        await s.multipart.abort(key, id);
        expect(await failure(s.multipart.listParts(key, id))).toMatchObject({ code: 'OSS_NOT_FOUND' });
        expect(await failure(s.multipart.uploadPart(key, id, 2, Buffer.from('x')))).toMatchObject({
          code: 'OSS_NOT_FOUND',
        });
        const left = [];
        for await (const page of s.multipart.listUploads(p)) left.push(...page.map((u) => u.uploadId));
        expect(left).toEqual([other]);
        expect(await s.head(key)).toBeUndefined();
      });

      it('refuses to overwrite at initiate and at complete when asked not to', async () => {
        const { s, p } = await fresh();
        await s.put(`${p}taken`, 'first');
        expect(await failure(s.multipart.initiate(`${p}taken`, { forbidOverwrite: true }))).toMatchObject({
          code: 'OSS_ALREADY_EXISTS',
        });
        const id = await s.multipart.initiate(`${p}late`);
        const part = await s.multipart.uploadPart(`${p}late`, id, 1, Buffer.from('mine'));
        await s.put(`${p}late`, 'someone else');
        expect(
          await failure(
            s.multipart.complete(`${p}late`, id, [{ partNumber: 1, etag: part.etag }], { forbidOverwrite: true }),
          ),
        ).toMatchObject({ code: 'OSS_ALREADY_EXISTS', details: { status: 409 } });
        expect((await s.getBuffer(`${p}late`))!.toString()).toBe('someone else');
        expect((await s.getBuffer(`${p}taken`))!.toString()).toBe('first');
      });

      it('lists uploads by prefix, in key order', async () => {
        const { s, p } = await fresh();
        const b = await s.multipart.initiate(`${p}u/b`);
        const a = await s.multipart.initiate(`${p}u/a`);
        await s.multipart.initiate(`${p}v/c`);
        const listed = [];
        for await (const page of s.multipart.listUploads(`${p}u/`)) listed.push(...page);
        expect(listed.map((u) => [u.key, u.uploadId])).toEqual([
          [`${p}u/a`, a],
          [`${p}u/b`, b],
        ]);
      });
    });
  });
}
