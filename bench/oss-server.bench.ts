/**
 * Local OSS server: PUT and GET throughput of one large object over loopback with the server's peak
 * memory (the server runs in a child process, `npm run oss-server`), and listing a million keys page by
 * page. The keys are seeded through the documented fast path (`seedBucketIndex`: an index snapshot
 * written straight into the data directory) instead of a million PUTs; the restart that loads them is
 * timed too.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { seedBucketIndex } from '../local/oss/store/disk-index';
import type { ObjectRecord } from '../local/oss/store/types';
import { encodePath, formatQuery, v1Signature, v1StringToSign } from '../shared/storage/signing';
import { defineBenchmark } from './harness';
import { startOssServerProcess } from './oss-server-process';

const KEY = { accessKeyId: 'bench-key', accessKeySecret: 'bench-secret' };
const BUCKET = 'flink-workspace';
const MiB = 1024 * 1024;

/** Peak and current resident memory of a process in MiB (Linux /proc). */
function memory(pid: number): { peak: number; now: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (name: string) => Number(new RegExp(`${name}:\\s+(\\d+) kB`).exec(status)?.[1] ?? NaN);
  return { peak: kb('VmHWM') / 1024, now: kb('VmRSS') / 1024 };
}

const agent = new Agent({ keepAlive: true });

function signed(method: string, key: string, query: Array<[string, string]> = []): Record<string, string> {
  const date = new Date().toUTCString();
  const sts = v1StringToSign({ method, bucket: BUCKET, key, headers: { 'x-oss-date': date }, query, date });
  return { 'x-oss-date': date, authorization: `OSS ${KEY.accessKeyId}:${v1Signature(KEY.accessKeySecret, sts)}` };
}

/** Streams `size` bytes (a random 1 MiB block repeated) as one PutObject; resolves with the status. */
function put(port: number, key: string, size: number): Promise<number> {
  const block = randomBytes(MiB);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        method: 'PUT',
        path: `/${BUCKET}/${encodePath(key)}`,
        agent,
        headers: { ...signed('PUT', key), 'content-length': size },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode!));
      },
    );
    req.on('error', reject);
    let sent = 0;
    const pump = () => {
      while (sent < size) {
        const chunk = size - sent >= MiB ? block : block.subarray(0, size - sent);
        sent += chunk.length;
        if (!req.write(chunk)) {
          req.once('drain', pump);
          return;
        }
      }
      req.end();
    };
    pump();
  });
}

/** Reads an object whole, discarding it; resolves with the byte count. */
function get(port: number, key: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        method: 'GET',
        path: `/${BUCKET}/${encodePath(key)}`,
        agent,
        headers: signed('GET', key),
      },
      (res) => {
        let bytes = 0;
        res.on('data', (c: Buffer) => (bytes += c.length));
        res.on('end', () => (res.statusCode === 200 ? resolve(bytes) : reject(new Error(`GET ${res.statusCode}`))));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/** One ListObjectsV2 page as XML text. */
function listPage(port: number, query: Array<[string, string]>): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        method: 'GET',
        path: `/${BUCKET}/?${formatQuery(query)}`,
        agent,
        headers: signed('GET', '', query),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          res.statusCode === 200
            ? resolve(Buffer.concat(chunks).toString('utf8'))
            : reject(new Error(`LIST ${res.statusCode}`)),
        );
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/** Flink-like keys in order: checkpoints of 1000 jobs. */
function* records(count: number): Generator<ObjectRecord> {
  const now = Date.now();
  const perJob = Math.ceil(count / 1000);
  for (let i = 0; i < count; i++) {
    const job = String(Math.floor(i / perJob)).padStart(4, '0');
    const file = String(i % perJob).padStart(7, '0');
    yield {
      key: `checkpoints/job-${job}/shared/${file}`,
      blob: 'seeded',
      size: 1024,
      etag: 'D41D8CD98F00B204E9800998ECF8427E',
      crc64: '0',
      lastModified: now,
      type: 'Normal',
      storageClass: 'Standard',
    };
  }
}

export default defineBenchmark({
  name: 'oss-server',
  description:
    'local OSS server: 1 GiB PUT/GET over loopback with server peak RSS; listing 1,000,000 keys page by page',
  async run(ctx) {
    const objectBytes = ctx.quick ? 64 * MiB : 1024 * MiB;
    const keyCount = ctx.quick ? 100_000 : 1_000_000;
    const dir = await mkdtemp(join(tmpdir(), 'oss-bench-'));
    try {
      let server = await startOssServerProcess({ dataDir: dir, bucket: BUCKET, key: KEY });
      const idle = memory(server.child.pid!);
      ctx.log(
        `server up in ${server.startMs.toFixed(0)} ms, ${idle.now.toFixed(0)} MiB resident; PUT ${objectBytes / MiB} MiB`,
      );
      let t = performance.now();
      const status = await put(server.port, 'large/object.bin', objectBytes);
      if (status !== 200) throw new Error(`PUT answered ${status}`);
      const putSeconds = (performance.now() - t) / 1000;
      const afterPut = memory(server.child.pid!);
      ctx.log(`PUT ${(objectBytes / MiB / putSeconds).toFixed(0)} MiB/s; GET`);
      t = performance.now();
      const got = await get(server.port, 'large/object.bin');
      if (got !== objectBytes) throw new Error(`GET returned ${got} bytes`);
      const getSeconds = (performance.now() - t) / 1000;
      const afterGet = memory(server.child.pid!);
      await server.stop();

      ctx.log(`seeding ${keyCount} keys through the snapshot fast path`);
      const listDir = join(dir, 'list');
      await seedBucketIndex(
        join(listDir, 'oss'),
        { name: BUCKET, created: Date.now(), storageClass: 'Standard', redundancy: 'LRS', acl: 'private' },
        records(keyCount),
      );
      server = await startOssServerProcess({ dataDir: listDir, bucket: BUCKET, key: KEY });
      const loadMs = server.startMs;
      ctx.log(`restart with ${keyCount} keys took ${loadMs.toFixed(0)} ms; listing`);
      t = performance.now();
      let listed = 0;
      let pages = 0;
      let token: string | undefined;
      do {
        const xml = await listPage(server.port, [
          ['list-type', '2'],
          ['max-keys', '1000'],
          ...(token ? ([['continuation-token', token]] as Array<[string, string]>) : []),
        ]);
        listed += (xml.match(/<Contents>/g) ?? []).length;
        pages++;
        token = /<NextContinuationToken>([^<]*)<\/NextContinuationToken>/.exec(xml)?.[1];
      } while (token);
      const listSeconds = (performance.now() - t) / 1000;
      if (listed !== keyCount) throw new Error(`listed ${listed} of ${keyCount} keys`);
      const afterList = memory(server.child.pid!);
      await server.stop();

      return {
        metrics: {
          putThroughput: {
            value: objectBytes / MiB / putSeconds,
            unit: 'MiB/s',
            better: 'higher',
            label: `PUT of one ${objectBytes / MiB} MiB object`,
          },
          getThroughput: {
            value: objectBytes / MiB / getSeconds,
            unit: 'MiB/s',
            better: 'higher',
            label: `GET of the same object`,
          },
          serverIdleRss: {
            value: idle.now,
            unit: 'MiB',
            better: 'lower',
            label: 'server resident memory before the transfer',
          },
          serverPeakRssPut: {
            value: afterPut.peak,
            unit: 'MiB',
            better: 'lower',
            label: 'server peak resident memory after the PUT',
          },
          serverPeakRssGet: {
            value: afterGet.peak,
            unit: 'MiB',
            better: 'lower',
            label: 'server peak resident memory after the GET',
          },
          listAllKeys: {
            value: listSeconds,
            unit: 's',
            better: 'lower',
            label: `ListObjectsV2 over ${keyCount} keys, 1000 per page`,
          },
          listPageMs: {
            value: (listSeconds * 1000) / pages,
            unit: 'ms',
            better: 'lower',
            label: 'mean time per 1000-key page (HTTP round trip included)',
          },
          indexLoad: {
            value: loadMs,
            unit: 'ms',
            better: 'lower',
            label: `server start with ${keyCount} keys (process start, index load, listen)`,
          },
          serverRssWithIndex: {
            value: afterList.now,
            unit: 'MiB',
            better: 'lower',
            label: `server resident memory holding ${keyCount} keys`,
          },
        },
        notes: [
          `object ${objectBytes / MiB} MiB streamed over loopback HTTP/1.1 from this process to the server child process, on-disk storage (fsync before the PUT answers)`,
          `${keyCount} keys seeded with seedBucketIndex (documented fast path), then listed over HTTP with V1-signed requests`,
          'peak RSS is VmHWM of the server process from /proc',
        ],
      };
    } finally {
      agent.destroy();
      await rm(dir, { recursive: true, force: true });
    }
  },
});
