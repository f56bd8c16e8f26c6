import { createHash } from 'node:crypto';
import { appendFile, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type RunningOssServer, startOssServer } from '../../../local/oss';
import { DiskBackend } from '../../../local/oss/store/disk';
import { ObjectEngine } from '../../../local/oss/store/engine';
import { encodePath, v1Signature, v1StringToSign } from '../../../shared/storage/signing';
import { aliClient, BUCKET, bytes, failure, ROOT } from './helpers';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'local-oss-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const start = (dataDir = dir) => startOssServer({ port: 0, dataDir, accessKeys: [ROOT], buckets: [BUCKET] });

describe('on-disk storage', () => {
  it('keeps buckets, objects, metadata, tags, CORS and unfinished uploads across a restart', async () => {
    let server = await start();
    let client = aliClient(server);
    const big = bytes(300_000, 5);
    await client.put('keep/a b 中.txt', Buffer.from('kept'), {
      meta: { who: 'me' },
      headers: { 'x-oss-tagging': 't=1', 'Cache-Control': 'no-cache' },
    });
    await client.put('keep/gone.txt', Buffer.from('gone'));
    await client.delete('keep/gone.txt');
    await client.append('keep/log.txt', Buffer.from('one '));
    await client.putBucketCORS(BUCKET, [{ allowedOrigin: '*', allowedMethod: 'GET' }]);
    await client.putBucket('second-bucket', { StorageClass: 'IA' });
    const init = await client.initMultipartUpload('keep/mp.bin');
    const p1 = await client.uploadPart('keep/mp.bin', init.uploadId, 1, big, 0, 150_000);
    await server.close();

    server = await start();
    client = aliClient(server);
    const got = await client.get('keep/a b 中.txt');
    expect(String(got.content)).toBe('kept');
    expect(got.res.headers['cache-control']).toBe('no-cache');
    expect((await client.head('keep/a b 中.txt')).meta).toEqual({ who: 'me' });
    expect((await client.getObjectTagging('keep/a b 中.txt')).tag).toEqual({ t: '1' });
    expect(await failure(client.get('keep/gone.txt'))).toMatchObject({ code: 'NoSuchKey' });
    expect((await client.getBucketCORS(BUCKET)).rules).toHaveLength(1);
    expect((await client.getBucketInfo('second-bucket')).bucket.StorageClass).toBe('IA');
    // Appending resumes at the stored length and the ETag stays the MD5 of the whole object.
    await client.append('keep/log.txt', Buffer.from('two'), { position: '4' });
    const log = await client.get('keep/log.txt');
    expect(String(log.content)).toBe('one two');
    expect(log.res.headers.etag).toBe(`"${createHash('md5').update('one two').digest('hex').toUpperCase()}"`);
    // The upload survives and can be finished.
    const parts = await client.listParts('keep/mp.bin', init.uploadId, {}, {});
    expect(parts.parts.PartNumber ?? parts.parts[0]?.PartNumber).toBe('1');
    const p2 = await client.uploadPart('keep/mp.bin', init.uploadId, 2, big, 150_000, big.length);
    await client.completeMultipartUpload('keep/mp.bin', init.uploadId, [
      { number: 1, etag: p1.etag },
      { number: 2, etag: p2.etag },
    ]);
    expect(Buffer.from((await client.get('keep/mp.bin')).content).equals(big)).toBe(true);
    const listed = await client.listV2({ prefix: 'keep/' }, {});
    expect(listed.objects.map((o: { name: string }) => o.name)).toEqual([
      'keep/a b 中.txt',
      'keep/log.txt',
      'keep/mp.bin',
    ]);
    await server.close();
    // The finished upload's parts are gone from disk.
    expect(await readdir(join(dir, 'buckets', BUCKET, 'uploads')).catch(() => [])).toEqual([]);
  });

  it('names object files by a hash of the key, so any key is storable', async () => {
    const server = await start();
    // Characters no file system likes, and a path-like shape (".." segments are normalised away by URL
    // parsers on the client, so they cannot reach any server).
    const key = 'sub/..hidden/\\con:?*|<>"\u0001\u00e9.txt';
    await aliClient(server).put(key, Buffer.from('odd'));
    expect(String((await aliClient(server).get(key)).content)).toBe('odd');
    await server.close();
    const shards = await readdir(join(dir, 'buckets', BUCKET, 'objects'));
    const files = (await Promise.all(shards.map((s) => readdir(join(dir, 'buckets', BUCKET, 'objects', s))))).flat();
    const hash = createHash('sha256').update(key).digest('hex');
    expect(files).toHaveLength(1);
    expect(files[0]!.startsWith(`${hash}-`)).toBe(true);
    expect(shards).toEqual([hash.slice(0, 2)]);
  });

  it('folds a long journal into a snapshot, and a restart replays snapshot and journals to the same state', async () => {
    const log: string[] = [];
    let store = await ObjectEngine.open(await DiskBackend.open(dir, (l) => log.push(l), { compactMinLines: 50 }));
    await store.createBucket({
      name: 'b',
      created: Date.now(),
      storageClass: 'Standard',
      redundancy: 'LRS',
      acl: 'private',
    });
    const put = async (key: string, text: string) => {
      const staged = await store.stage(
        (async function* () {
          yield Buffer.from(text);
        })(),
      );
      await store.putObject('b', key, staged, {
        size: staged.size,
        etag: 'E',
        crc64: staged.crc64,
        lastModified: 0,
        type: 'Normal',
        storageClass: 'Standard',
      });
    };
    for (let i = 0; i < 300; i++) await put(`k${String(i).padStart(3, '0')}`, `v${i}`);
    for (let i = 0; i < 300; i += 3) await store.deleteObject('b', `k${String(i).padStart(3, '0')}`);
    for (let i = 1; i < 300; i += 3) await put(`k${String(i).padStart(3, '0')}`, `w${i}`);
    await store.close();
    const index = await readdir(join(dir, 'buckets', 'b', 'index'));
    expect(index).toContain('snapshot.jsonl');
    expect(index.filter((f) => f.startsWith('journal-')).length).toBeLessThanOrEqual(3);
    // A crash mid-write can leave a torn last line; it was never acknowledged and is skipped.
    const journals = index
      .filter((f) => f.startsWith('journal-'))
      .sort((a, b) => Number(a.slice(8, -6)) - Number(b.slice(8, -6)));
    await appendFile(join(dir, 'buckets', 'b', 'index', journals.at(-1)!), '{"put":{"key":"torn"');

    store = await ObjectEngine.open(await DiskBackend.open(dir, () => {}, { compactMinLines: 50 }));
    const page = store.list('b', { prefix: '', delimiter: '', after: '', maxKeys: 1000 });
    expect(page.keys).toHaveLength(200);
    expect(page.keys).not.toContain('torn');
    const read = async (key: string) => {
      const { stream } = await store.openObject('b', key, (r) => ({ start: 0, end: r.size - 1 }));
      const chunks: Buffer[] = [];
      for await (const c of stream!) chunks.push(c as Buffer);
      return Buffer.concat(chunks).toString();
    };
    expect(await read('k001')).toBe('w1');
    expect(await read('k002')).toBe('v2');
    expect(store.get('b', 'k003')).toBeUndefined();
    await store.close();
  });

  it('folds versions and delete markers into snapshots and reads each version back after a restart', async () => {
    let store = await ObjectEngine.open(await DiskBackend.open(dir, () => {}, { compactMinLines: 50 }));
    await store.createBucket({
      name: 'b',
      created: Date.now(),
      storageClass: 'Standard',
      redundancy: 'LRS',
      acl: 'private',
      versioning: 'Enabled',
    });
    const put = async (key: string, text: string) => {
      const staged = await store.stage(
        (async function* () {
          yield Buffer.from(text);
        })(),
      );
      const done = await store.putObject('b', key, staged, {
        size: staged.size,
        etag: 'E',
        crc64: staged.crc64,
        lastModified: 0,
        type: 'Normal',
        storageClass: 'Standard',
      });
      return done.record.versionId!;
    };
    const ids: string[][] = [[], [], []];
    for (let round = 0; round < 40; round++) for (let k = 0; k < 3; k++) ids[k]!.push(await put(`k${k}`, `r${round}`));
    await store.deleteObject('b', 'k0');
    await store.deleteObject('b', 'k1', ids[1]![39]);
    await store.close();
    expect(await readdir(join(dir, 'buckets', 'b', 'index'))).toContain('snapshot.jsonl');

    store = await ObjectEngine.open(await DiskBackend.open(dir, () => {}, { compactMinLines: 50 }));
    const read = async (key: string, versionId?: string) => {
      const { stream } = await store.openObject('b', key, (r) => ({ start: 0, end: r.size - 1 }), versionId);
      const chunks: Buffer[] = [];
      for await (const c of stream!) chunks.push(c as Buffer);
      return Buffer.concat(chunks).toString();
    };
    expect(store.get('b', 'k0')).toBeUndefined();
    expect(store.versions('b', 'k0')[0]?.deleteMarker).toBe(true);
    expect(store.versions('b', 'k0')).toHaveLength(41);
    expect(await read('k0', ids[0]![7])).toBe('r7');
    expect(await read('k1')).toBe('r38');
    expect(store.versions('b', 'k1').map((v) => v.versionId)).toEqual(ids[1]!.slice(0, 39).reverse());
    expect(await read('k2')).toBe('r39');
    await store.close();
  });

  it('refuses to share a data directory with another running server', async () => {
    const server = await start();
    await expect(start()).rejects.toThrow(/in use by another OSS server/);
    await server.close();
    const again = await start();
    await again.close();
    expect(await readFile(join(dir, 'clean-shutdown'), 'utf8')).toBeTruthy();
  });
});

/** A PUT whose body the test feeds by hand, to interleave uploads. */
function slowPut(server: RunningOssServer, key: string, total: number) {
  const date = new Date().toUTCString();
  const signature = v1Signature(
    ROOT.accessKeySecret,
    v1StringToSign({ method: 'PUT', bucket: BUCKET, key, headers: { 'x-oss-date': date }, query: [], date }),
  );
  let status: (value: number) => void;
  const done = new Promise<number>((resolve) => (status = resolve));
  const req = request(
    {
      host: '127.0.0.1',
      port: server.port,
      method: 'PUT',
      path: `/${BUCKET}/${encodePath(key)}`,
      headers: { 'x-oss-date': date, authorization: `OSS ${ROOT.accessKeyId}:${signature}`, 'content-length': total },
    },
    (res) => {
      res.resume();
      status(res.statusCode!);
    },
  );
  req.on('error', () => status(-1));
  return {
    write: (data: Buffer) => new Promise<void>((resolve) => req.write(data, () => resolve())),
    end: (data: Buffer) => {
      req.end(data);
      return done;
    },
  };
}

describe.each([
  ['in memory', undefined],
  ['on disk', 'disk'],
])('concurrent writers and readers (%s)', (_name, kind) => {
  it('lets the last complete write win and never shows a partial body', async () => {
    const server = await startOssServer({
      port: 0,
      ...(kind ? { dataDir: dir } : {}),
      accessKeys: [ROOT],
      buckets: [BUCKET],
    });
    const client = aliClient(server);
    const old = bytes(200_000, 1);
    await client.put('race.bin', old);
    const a = bytes(400_000, 2);
    const b = bytes(400_000, 3);
    const upA = slowPut(server, 'race.bin', a.length);
    const upB = slowPut(server, 'race.bin', b.length);
    await upA.write(a.subarray(0, 200_000));
    await upB.write(b.subarray(0, 200_000));
    // Mid-upload, readers see the old object whole.
    expect(Buffer.from((await client.get('race.bin')).content).equals(old)).toBe(true);
    expect(await upB.end(b.subarray(200_000))).toBe(200);
    expect(Buffer.from((await client.get('race.bin')).content).equals(b)).toBe(true);
    expect(await upA.end(a.subarray(200_000))).toBe(200);
    // A finished last, so A wins.
    expect(Buffer.from((await client.get('race.bin')).content).equals(a)).toBe(true);
    await server.close();
  });
});

describe('close()', () => {
  it('stops accepting connections but lets an upload in flight finish and be kept', async () => {
    let server = await start();
    const body = bytes(500_000, 4);
    const upload = slowPut(server, 'closing.bin', body.length);
    await upload.write(body.subarray(0, 250_000));
    // Close only once the server is receiving the body (it is being staged).
    for (let i = 0; i < 100 && (await readdir(join(dir, 'tmp'))).length === 0; i++)
      await new Promise((r) => setTimeout(r, 20));
    const closed = server.close();
    let closedEarly = false;
    void closed.then(() => (closedEarly = true));
    await new Promise((r) => setTimeout(r, 50));
    expect(closedEarly).toBe(false);
    await expect(fetch(`${server.url}/${BUCKET}/x`)).rejects.toThrow();
    expect(await upload.end(body.subarray(250_000))).toBe(200);
    await closed;
    server = await start();
    expect(Buffer.from((await aliClient(server).get('closing.bin')).content).equals(body)).toBe(true);
    await server.close();
  });
});
