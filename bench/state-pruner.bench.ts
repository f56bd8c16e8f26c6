/**
 * state-pruner on a bucket of 1,000,000 objects in the local OSS server: 500 deployments in 25
 * namespaces, each with a job of 20 incremental checkpoints over ~1,770 shared files and 10 savepoints.
 * The state files are seeded through the server's snapshot fast path (`seedBucketIndex`); the 15,000
 * `_metadata` files, which the pruner reads, are PUT with real bodies. The run looks at the bucket from 30
 * days later, so every job is inactive and most of the bucket goes. Figures: the requests made next to the
 * minimum (list pages + delete batches + `_metadata` reads), wall time and the pruner's peak memory.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { seedBucketIndex } from '../local/oss/store/disk-index';
import type { ObjectRecord } from '../local/oss/store/types';
import { loadConfig } from '../shared/config';
import { mapLimit } from '../shared/retention/collect';
import { AliOssStore } from '../shared/storage';
import { writeMetadata } from '../test/support/metadata-writer';
import { defineBenchmark } from './harness';
import { startOssServerProcess } from './oss-server-process';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..');
const KEY = { accessKeyId: 'bench-key', accessKeySecret: 'bench-secret' };
const BUCKET = 'flink-workspace';
const DAY = 86_400_000;

interface Shape {
  deployments: number;
  checkpoints: number;
  exclusive: number;
  shared: number;
  refs: number;
  savepoints: number;
  savepointFiles: number;
}

function uuid(a: number, b: number): string {
  const h = (a * 2654435761 + b * 97) >>> 0;
  return `${h.toString(16).padStart(8, '0')}-${(b & 0xffff).toString(16).padStart(4, '0')}-4000-8000-${a.toString(16).padStart(12, '0')}`;
}

/** Every object of the synthetic bucket: seeded records, plus the `_metadata` bodies to PUT. */
function build(shape: Shape, now: number) {
  const records: ObjectRecord[] = [];
  const metadata: Array<{ key: string; body: Buffer }> = [];
  const rec = (key: string): void => {
    records.push({
      key,
      blob: 'seeded',
      size: 64 * 1024,
      etag: 'D41D8CD98F00B204E9800998ECF8427E',
      crc64: '0',
      lastModified: now,
      type: 'Normal',
      storageClass: 'Standard',
    });
  };
  for (let d = 0; d < shape.deployments; d++) {
    const ns = `ns-${String(d % 25).padStart(2, '0')}`;
    const dep = uuid(d, 1);
    const base = `flink-jobs/namespaces/${ns}/deployments/${dep}/`;
    const job = `${base}checkpoints/jobs/${uuid(d, 2)}/${uuid(d, 3).replace(/-/g, '')}/`;
    rec(`${base}ha/job-graph`);
    rec(`${base}ha/checkpoint-counter`);
    const shared = Array.from({ length: shape.shared }, (_, i) => `${job}shared/${uuid(d * 10_000 + i, 4)}`);
    for (const s of shared) rec(s);
    const step = Math.floor((shape.shared - shape.refs) / shape.checkpoints);
    for (let n = 1; n <= shape.checkpoints; n++) {
      const names = Array.from({ length: shape.exclusive }, (_, i) => uuid(d * 1000 + n * 10 + i, 5));
      for (const name of names) rec(`${job}chk-${n}/${name}`);
      const refs = shared.slice(n * step, n * step + shape.refs).map((k) => `oss://${BUCKET}/${k}`);
      metadata.push({
        key: `${job}chk-${n}/_metadata`,
        body: writeMetadata({ checkpointId: n, shared: refs, relative: names }),
      });
    }
    for (let s = 0; s < shape.savepoints; s++) {
      const dir = `flink-savepoints/namespaces/${ns}/deployments/${dep}/${uuid(d * 100 + s, 6)}/savepoint-${uuid(d, 3).slice(0, 6)}-${(0xa00000000000 + d * 100 + s).toString(16)}/`;
      const names = Array.from({ length: shape.savepointFiles }, (_, i) => uuid(d * 1000 + s * 10 + i, 7));
      for (const name of names) rec(`${dir}${name}`);
      metadata.push({ key: `${dir}_metadata`, body: writeMetadata({ relative: names }) });
    }
  }
  records.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return { records, metadata };
}

/**
 * The heap limit the pruner gets in its FC instance. Node sizes V8's heap from the memory it may use (the
 * instance's, not this machine's 24 GiB): the old generation is a quarter of it. Without the same limit
 * here, V8 would grow the heap lazily towards this machine's default and the figure would measure that.
 */
function deployedHeapOption(): string {
  const template = parseYaml(readFileSync(join(repo, 's.yaml'), 'utf8')) as {
    resources: Record<string, { props: { memorySize: number } }>;
  };
  const memoryMb = template.resources['state-pruner']!.props.memorySize;
  return `--max-old-space-size=${Math.floor(memoryMb / 4)}`;
}

function runPruner(port: number, shiftMs: number, dryRun: boolean): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(repo, 'bench/state-pruner-run.ts')], {
      cwd: repo,
      env: {
        ...process.env,
        BENCH_PORT: String(port),
        BENCH_BUCKET: BUCKET,
        BENCH_KEY_ID: KEY.accessKeyId,
        BENCH_KEY_SECRET: KEY.accessKeySecret,
        BENCH_SHIFT_MS: String(shiftMs),
        BENCH_DRY_RUN: dryRun ? 'true' : 'false',
        // STATE_PRUNER_BENCH_NODE_OPTIONS overrides (say, '' to measure with this machine's defaults).
        NODE_OPTIONS: process.env.STATE_PRUNER_BENCH_NODE_OPTIONS ?? deployedHeapOption(),
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout?.on('data', (c: Buffer) => {
      out += c.toString('utf8');
    });
    child.on('exit', (code) =>
      code === 0
        ? resolve(JSON.parse(out.trim().split('\n').at(-1) ?? '{}'))
        : reject(new Error(`pruner exited ${code}`)),
    );
  });
}

export default defineBenchmark({
  name: 'state-pruner',
  description: 'state-pruner over 1,000,000 objects in the local OSS server: requests vs minimum, wall time, peak RSS',
  async run(ctx) {
    // 2,000 objects per deployment: --quick is 100,000 objects, STATE_PRUNER_BENCH_DEPLOYMENTS sizes it freely.
    const sized = Number(process.env.STATE_PRUNER_BENCH_DEPLOYMENTS ?? '');
    const deployments = Number.isInteger(sized) && sized > 0 ? sized : ctx.quick ? 50 : 500;
    const shape: Shape = {
      deployments,
      checkpoints: 20,
      exclusive: 8,
      shared: 1768,
      refs: 50,
      savepoints: 10,
      savepointFiles: 4,
    };
    // STATE_PRUNER_BENCH_DRY=true plans without deleting: listing, reads and planning at full size, when the
    // local server's on-disk deletes (fsync per object) would make the full run take an hour.
    const dryRun = process.env.STATE_PRUNER_BENCH_DRY === 'true';
    const dir = await mkdtemp(join(tmpdir(), 'prune-bench-'));
    try {
      const now = Date.now();
      const { records, metadata } = build(shape, Math.floor(now / 1000) * 1000);
      const total = records.length + metadata.length;
      ctx.log(`${total} objects (${metadata.length} _metadata); seeding`);
      await seedBucketIndex(
        join(dir, 'oss'),
        { name: BUCKET, created: now, storageClass: 'Standard', redundancy: 'LRS', acl: 'private' },
        records,
      );
      const server = await startOssServerProcess({ dataDir: dir, bucket: BUCKET, key: KEY });
      try {
        const config = loadConfig({
          OSS_BUCKET: BUCKET,
          OSS_REGION: 'cn-hangzhou',
          OSS_ENDPOINT: `http://127.0.0.1:${server.port}`,
          OSS_PATH_STYLE: 'true',
          OSS_SIGNATURE_VERSION: 'v1',
        });
        const store = new AliOssStore({ config: config.oss, credentials: () => KEY });
        let t = performance.now();
        await mapLimit(metadata, 16, (m) => store.put(m.key, m.body));
        ctx.log(`PUT ${metadata.length} _metadata in ${((performance.now() - t) / 1000).toFixed(1)} s; pruning`);
        t = performance.now();
        const r = (await runPruner(server.port, 30 * DAY, dryRun)) as {
          seconds: number;
          maxRssMiB: number;
          outcome: string;
          metadataDeletions: number;
          totals: {
            objects: number;
            deletedObjects: number;
            metadataRead: number;
            requests: { list: number; metadataReads: number; deleteBatches: number };
          };
        };
        const wall = (performance.now() - t) / 1000;
        const tot = r.totals;
        const minimum =
          Math.ceil(tot.objects / 1000) +
          tot.metadataRead +
          Math.ceil(r.metadataDeletions / 1000) +
          Math.ceil((tot.deletedObjects - r.metadataDeletions) / 1000);
        // A dry run counts the batches a real run would send, in the order it would send them.
        const batches = tot.requests.deleteBatches;
        const made = tot.requests.list + tot.requests.metadataReads + batches;
        ctx.log(`outcome ${r.outcome}: ${tot.deletedObjects} ${dryRun ? 'to delete' : 'deleted'} of ${tot.objects}`);
        return {
          metrics: {
            objects: { value: tot.objects, unit: 'objects', label: 'objects listed under the owned prefixes' },
            deleted: { value: tot.deletedObjects, unit: 'objects', label: 'objects deleted' },
            requests: {
              value: made,
              unit: 'requests',
              better: 'lower',
              label: 'list pages + _metadata GETs + delete batches made',
            },
            requestsMinimum: {
              value: minimum,
              unit: 'requests',
              label: 'ceil(objects/1000) + _metadata reads + delete batches (metadata, then files)',
            },
            listRequests: {
              value: tot.requests.list,
              unit: 'requests',
              label: `listing (minimum ${Math.ceil(tot.objects / 1000)})`,
            },
            metadataReads: {
              value: tot.requests.metadataReads,
              unit: 'requests',
              label: `GET _metadata (minimum ${tot.metadataRead})`,
            },
            deleteBatches: {
              value: batches,
              unit: 'requests',
              label: dryRun ? 'DeleteMultipleObjects a real run sends' : 'DeleteMultipleObjects',
            },
            wallTime: { value: wall, unit: 's', better: 'lower', label: 'pruner process, start to report written' },
            runTime: { value: r.seconds, unit: 's', better: 'lower', label: 'runPrune inside the process' },
            peakRss: {
              value: r.maxRssMiB,
              unit: 'MiB',
              better: 'lower',
              label: `pruner process peak RSS (target < 512), NODE_OPTIONS='${process.env.STATE_PRUNER_BENCH_NODE_OPTIONS ?? deployedHeapOption()}'`,
            },
          },
          notes: [
            `${shape.deployments} deployments × (job with ${shape.checkpoints} checkpoints × ${shape.exclusive + 1} objects, ${shape.shared} shared files, ${shape.savepoints} savepoints × ${shape.savepointFiles + 1} objects, 2 HA objects)`,
            'the local OSS server runs in its own process on disk; the pruner in another, V1 signatures, concurrency 8',
            dryRun
              ? 'dry run: deletions planned and counted, delete batches not sent (requests and minimum count them as they would be sent)'
              : 'real run: every deletion sent',
            'the run sees the bucket 30 days later: every job inactive (newest checkpoint kept, unreferenced shared files deleted), savepoints past 30 days deleted except the newest',
          ],
        };
      } finally {
        await server.stop();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  },
});
