/**
 * log-shipper: ingest throughput per instance (parse, normalise, gzip: uncompressed MB/s) beside `gzip -1`
 * of the same bytes on the same machine, node zlib level 1 vs 6, compression ratios, and objects per hour
 * partition after compaction against one object per batch.
 *
 * "Ingest" is `prepareBatch` in this process: the function's own work per batch, with no HTTP and no OSS
 * server in the figure (the PUT of the few compressed objects is the store's cost, measured by the OSS
 * server's own benchmark). Bodies are given decoded; a gzip request body adds its gunzip. It is measured
 * on one thread (a 1-vCPU instance) and with the built worker thread beside it (`LOGS_INTAKE_THREADS=2`,
 * the 2-vCPU instance `s.yaml` deploys), with the CPU time each batch costs.
 */
import { fork } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { buildFunctions, ROOT } from '../scripts/build';
import { prepareBatch } from '../shared/logs/batch';
import { compactLogs } from '../shared/logs/compaction';
import { shipBatch } from '../shared/logs/intake';
import { IntakeThreads } from '../shared/logs/intake-threads';
import { LogKeys } from '../shared/logs/keys';
import { MemoryStore } from '../shared/storage/memory-store';
import { fluentBitJsonLines, vectorNdjson } from '../test/shared/logs/payloads';
import { defineBenchmark, type Metric, summarize } from './harness';

const MB = 1e6;
const keys = new LogKeys('');

function timeMs(fn: () => unknown): number {
  const start = performance.now();
  fn();
  return performance.now() - start;
}

/** Wall ms and process CPU ms (every thread) of one call. */
async function measure(fn: () => Promise<unknown>): Promise<{ ms: number; cpuMs: number }> {
  const cpu = process.cpuUsage();
  const start = performance.now();
  await fn();
  const ms = performance.now() - start;
  const used = process.cpuUsage(cpu);
  return { ms, cpuMs: (used.user + used.system) / 1000 };
}

export default defineBenchmark({
  name: 'log-shipper',
  description: 'log intake throughput vs gzip -1, compression ratio, objects per hour partition after compaction',
  async run({ quick, log }) {
    const metrics: Record<string, Metric> = {};
    const notes: string[] = [];
    const dir = mkdtempSync(join(tmpdir(), 'log-bench-'));
    const rounds = quick ? 3 : 9;
    log('building the log shipper (its worker thread)');
    await buildFunctions(['log-shipper'], join(dir, 'dist'));
    const threads = new IntakeThreads(join(dir, 'dist', 'log-shipper', 'intake-worker.js'), 1);
    const gzipRunner = fork(join(ROOT, 'bench/fixtures/gzip-runner.cjs'));
    const gzipMs = (file: string, empty: string) =>
      new Promise<number>((resolve) => {
        gzipRunner.once('message', (ms) => resolve(ms as number));
        gzipRunner.send({ file, empty });
      });
    try {
      for (const [name, body] of [
        ['fluent-bit', Buffer.from(fluentBitJsonLines(quick ? 20_000 : 60_000))],
        ['vector', Buffer.from(vectorNdjson(quick ? 20_000 : 60_000))],
      ] as const) {
        const file = join(dir, `${name}.ndjson`);
        const empty = join(dir, 'empty');
        writeFileSync(file, body);
        writeFileSync(empty, '');
        const ingest = (withThreads?: IntakeThreads) =>
          prepareBatch({
            labels: { namespace: 'team-a', deployment: 'dep-1' },
            body,
            receivedAt: new Date(),
            keys,
            threads: withThreads,
          });
        for (let i = 0; i < 2; i++) {
          await ingest();
          await ingest(threads);
          await gzipMs(file, empty);
        }
        const one = { wall: [] as number[], cpu: [] as number[] };
        const two = { wall: [] as number[], cpu: [] as number[] };
        const theirs: number[] = [];
        const zlib1: number[] = [];
        const zlib6: number[] = [];
        for (let i = 0; i < rounds; i++) {
          const a = await measure(() => ingest());
          one.wall.push(a.ms);
          one.cpu.push(a.cpuMs);
          const b = await measure(() => ingest(threads));
          two.wall.push(b.ms);
          two.cpu.push(b.cpuMs);
          theirs.push(await gzipMs(file, empty));
          zlib1.push(timeMs(() => gzipSync(body, { level: 1 })));
          zlib6.push(timeMs(() => gzipSync(body, { level: 6 })));
        }
        const rate = (samples: number[]) => body.byteLength / MB / (summarize(samples).p50 / 1000);
        const cpuPerMb = (samples: number[]) => summarize(samples).p50 / (body.byteLength / MB);
        const batch = await ingest(threads);
        const stored = batch.objects.reduce((n, o) => n + o.body.byteLength, 0);
        metrics[`${name}.ingest`] = {
          value: rate(two.wall),
          unit: 'MB/s',
          better: 'higher',
          label: `uncompressed body in, gzip NDJSON out; 2 threads (s.yaml: cpu 2); CPU ${cpuPerMb(two.cpu).toFixed(1)} ms/MB`,
        };
        metrics[`${name}.ingest-1-thread`] = {
          value: rate(one.wall),
          unit: 'MB/s',
          better: 'higher',
          label: `the same on one thread (a 1-vCPU instance); CPU ${cpuPerMb(one.cpu).toFixed(1)} ms/MB`,
        };
        metrics[`${name}.gzip-1`] = {
          value: rate(theirs),
          unit: 'MB/s',
          better: 'higher',
          label: 'gzip -1 of the same bytes (one thread)',
        };
        metrics[`${name}.ingest/gzip-1`] = {
          value: rate(two.wall) / rate(theirs),
          unit: '×',
          better: 'higher',
          label: 'target ≥ 0.7, per instance as s.yaml deploys it',
        };
        metrics[`${name}.ingest-1-thread/gzip-1`] = {
          value: rate(one.wall) / rate(theirs),
          unit: '×',
          better: 'higher',
          label: 'one thread',
        };
        metrics[`${name}.zlib-level-1`] = { value: rate(zlib1), unit: 'MB/s', better: 'higher' };
        metrics[`${name}.zlib-level-6`] = { value: rate(zlib6), unit: 'MB/s', better: 'higher' };
        metrics[`${name}.ratio-intake`] = {
          value: body.byteLength / stored,
          unit: '×',
          better: 'higher',
          label: 'body bytes / stored bytes (level 1)',
        };
        notes.push(
          `${name}: ${(body.byteLength / MB).toFixed(1)} MB body, ${batch.accepted} records, median of ${rounds} interleaved runs; ingest is prepareBatch in process (no HTTP, no OSS); gzip -1 runs in a helper process, so this one never forks while measured`,
        );
        log(
          `${name}: ingest ${rate(two.wall).toFixed(0)} MB/s (2 threads), ${rate(one.wall).toFixed(0)} MB/s (1), gzip -1 ${rate(theirs).toFixed(0)} MB/s`,
        );
      }

      // An hour of one deployment: a collector flushing every 5 s (720 batches of ~100 records).
      const store = new MemoryStore();
      const hourStart = Math.floor(Date.now() / 3_600_000) * 3600 - 3 * 3600;
      const batches = quick ? 120 : 720;
      let bodyBytes = 0;
      for (let i = 0; i < batches; i++) {
        const body = Buffer.from(fluentBitJsonLines(100, hourStart + i * (3600 / batches)));
        bodyBytes += body.byteLength;
        await shipBatch(
          {
            labels: { namespace: 'team-a', deployment: 'dep-1' },
            body,
            contentType: 'application/x-ndjson',
            partial: false,
            receivedAt: new Date(),
          },
          { store, keys, maxBatchBytes: 32 * MB },
        );
      }
      const count = async () => {
        let objects = 0;
        let bytes = 0;
        for await (const page of store.list({ prefix: keys.shippedPrefix('team-a', 'dep-1') }))
          for (const o of page.objects) {
            objects++;
            bytes += o.size;
          }
        return { objects, bytes };
      };
      const before = await count();
      const started = performance.now();
      const report = await compactLogs({
        store,
        keys,
        targetBytes: 64 * 1024 * 1024,
        settleMs: 15 * 60_000,
        lookbackMs: 86_400_000,
      });
      const compactMs = performance.now() - started;
      const after = await count();
      metrics['partition.objects-per-batch'] = {
        value: before.objects,
        unit: 'objects',
        better: 'lower',
        label: `${batches} batches, one object each`,
      };
      metrics['partition.objects-compacted'] = {
        value: after.objects,
        unit: 'objects',
        better: 'lower',
        label: 'after compaction (target 64 MiB)',
      };
      metrics['partition.ratio-compacted'] = {
        value: bodyBytes / after.bytes,
        unit: '×',
        better: 'higher',
        label: 'body bytes / compacted bytes (level 6)',
      };
      metrics['partition.compaction-ms'] = {
        value: compactMs,
        unit: 'ms',
        better: 'lower',
        label: `${report.objectsMerged} objects merged, in memory`,
      };
      notes.push(`hour partition: ${(bodyBytes / MB).toFixed(1)} MB of Fluent Bit records in ${batches} batches`);
    } finally {
      gzipRunner.kill();
      await threads.close();
      rmSync(dir, { recursive: true, force: true });
    }
    return { metrics, notes };
  },
});
