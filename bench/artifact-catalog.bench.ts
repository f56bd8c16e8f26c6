/**
 * artifact-catalog: validating 10 MB, 100 MB and 1 GB JARs stored in the local OSS server (a child
 * process), side by side with a plain streaming GET + SHA-256 of the same object. Each run is its own
 * process (`bench/fixtures/catalog-driver.cjs`), so its peak RSS is the function's alone: the built
 * bundle `dist/artifact-catalog/index.js` handling one OSS event, against ali-oss `getStream` + hash.
 */
import { spawn } from 'node:child_process';
import { createReadStream, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildFunctions } from '../scripts/build';
import { encodePath, v1Signature, v1StringToSign } from '../shared/storage/signing';
import { writeBenchJar } from './catalog-jar';
import { defineBenchmark, type Metric } from './harness';
import { startOssServerProcess } from './oss-server-process';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..');
const KEY = { accessKeyId: 'bench-key', accessKeySecret: 'bench-secret' };
const BUCKET = 'flink-workspace';
const MB = 1000 * 1000;
/** Small JARs each driver handles, untimed, before the measured one. */
const WARM_JARS = 4;

/** Streams a file into the bucket as one PutObject. */
function putFile(port: number, key: string, file: string): Promise<number> {
  const date = new Date().toUTCString();
  const sts = v1StringToSign({ method: 'PUT', bucket: BUCKET, key, headers: { 'x-oss-date': date }, query: [], date });
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        method: 'PUT',
        path: `/${BUCKET}/${encodePath(key)}`,
        agent: new Agent({ keepAlive: false }),
        headers: {
          'x-oss-date': date,
          authorization: `OSS ${KEY.accessKeyId}:${v1Signature(KEY.accessKeySecret, sts)}`,
          'content-length': statSync(file).size,
        },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode!));
      },
    );
    req.on('error', reject);
    createReadStream(file).pipe(req);
  });
}

/** Reads the whole object once and drops the bytes. */
function primeRead(port: number, key: string): Promise<void> {
  const date = new Date().toUTCString();
  const sts = v1StringToSign({ method: 'GET', bucket: BUCKET, key, headers: { 'x-oss-date': date }, query: [], date });
  return new Promise((resolve, reject) => {
    request(
      {
        host: '127.0.0.1',
        port,
        path: `/${BUCKET}/${encodePath(key)}`,
        agent: new Agent({ keepAlive: false }),
        headers: {
          'x-oss-date': date,
          authorization: `OSS ${KEY.accessKeyId}:${v1Signature(KEY.accessKeySecret, sts)}`,
        },
      },
      (res) => {
        res.resume();
        res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`GET answered ${res.statusCode}`))));
      },
    )
      .on('error', reject)
      .end();
  });
}

interface DriverResult {
  ms: number;
  /** CPU time of the timed part (validation, or read + hash): less noisy than wall time. */
  cpuMs: number;
  /** The catalog's own figure for the part up to the verdict (its log line), before the writes. */
  validateMs?: number;
  maxRssMiB: number;
  requests?: number;
  /** Every request of the event: the reads, the currency HEAD, the tag, SBOM, record and audit writes. */
  requestsTotal?: number;
  status?: string;
  findings?: string[];
  error?: string;
}

function drive(
  mode: 'catalog' | 'baseline',
  key: string,
  warmKey: string,
  port: number,
  keyIndex: number,
): Promise<DriverResult> {
  // CATALOG_BENCH_PROFILE_DIR=<dir> writes a CPU profile of every driver process there.
  const profile = process.env.CATALOG_BENCH_PROFILE_DIR;
  const flags = profile
    ? ['--cpu-prof', `--cpu-prof-dir=${profile}`, `--cpu-prof-name=${mode}-${key.split('/').at(-1)}.cpuprofile`]
    : [];
  const child = spawn(
    process.execPath,
    [...flags, join(repo, 'bench/fixtures/catalog-driver.cjs'), mode, key, warmKey],
    {
      cwd: repo,
      env: {
        PATH: process.env.PATH,
        OSS_BUCKET: BUCKET,
        OSS_REGION: 'cn-hangzhou',
        OSS_ENDPOINT: `http://localhost:${port}`,
        OSS_PATH_STYLE: 'true',
        OSS_SECURE: 'false',
        OSS_ACCESS_KEY_ID: KEY.accessKeyId,
        OSS_ACCESS_KEY_SECRET: KEY.accessKeySecret,
        // Each catalog run needs a fresh record: a different key per run avoids the "same ETag" shortcut.
        BENCH_RUN: String(keyIndex),
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  return new Promise((resolve, reject) => {
    let err = '';
    child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
    child.on('exit', () => {
      const line = err.trim().split('\n').at(-1) ?? '';
      try {
        const r = JSON.parse(line) as DriverResult;
        if (r.error) reject(new Error(r.error));
        else resolve(r);
      } catch {
        reject(new Error(`driver failed: ${err}`));
      }
    });
  });
}

export default defineBenchmark({
  name: 'artifact-catalog',
  description: 'validate 10 MB / 100 MB / 1 GB JARs vs a plain streaming read + SHA-256; peak RSS; requests',
  async run({ quick, log }) {
    await buildFunctions(['artifact-catalog']);
    const dir = await mkdtemp(join(tmpdir(), 'catalog-bench-'));
    const server = await startOssServerProcess({ dataDir: join(dir, 'data'), bucket: BUCKET, key: KEY });
    const metrics: Record<string, Metric> = {};
    const notes: string[] = [];
    try {
      // CATALOG_BENCH_SIZES=10,1000 (MB) measures only those sizes.
      const only = process.env.CATALOG_BENCH_SIZES?.split(',').map((mb) => Number(mb) * MB);
      const sizes = only ?? (quick ? [10 * MB, 100 * MB] : [10 * MB, 100 * MB, 1000 * MB]);
      // Each driver first handles a few small JARs, as a running instance has: the timed run then measures
      // the steady state of both sides, not code V8 has yet to optimise (the first event of a fresh
      // instance is the first-request benchmark's).
      const warmFile = join(dir, 'warm.jar');
      await writeBenchJar(warmFile, MB);
      for (const size of sizes) {
        const label = size >= 1000 * MB ? `${size / (1000 * MB)}GB` : `${size / MB}MB`;
        const file = join(dir, `${label}.jar`);
        const shape = await writeBenchJar(file, size);
        // Medians over several rounds: the VM's wall times vary by tens of percent from run to run.
        const rounds = quick ? 3 : size >= 1000 * MB ? 5 : size >= 100 * MB ? 5 : 7;
        const runs: Array<{ catalog: DriverResult; baseline: DriverResult }> = [];
        for (let i = 0; i < rounds; i++) {
          // A fresh key per round, so every catalog run validates (no record for that ETag yet).
          const key = `artifacts/namespaces/bench/${label}-${i}.jar`;
          const status = await putFile(server.port, key, file);
          if (status !== 200) throw new Error(`upload of ${label} failed with ${status}`);
          // Fresh warm-up JARs per round too: the catalog skips one it has already judged.
          const warmKeys: string[] = [];
          for (let w = 0; w < WARM_JARS; w++) {
            const warmKey = `artifacts/namespaces/bench/warm-${label}-${i}-${w}.jar`;
            if ((await putFile(server.port, warmKey, warmFile)) !== 200) throw new Error('upload of warm.jar failed');
            warmKeys.push(warmKey);
          }
          const warmKey = warmKeys.join(',');
          // The object is read once untimed (the server's page cache then holds it for both sides), and
          // the side that goes first alternates, so neither always meets a machine the other has warmed.
          await primeRead(server.port, key);
          let baseline: DriverResult;
          let catalog: DriverResult;
          if (i % 2 === 0) {
            baseline = await drive('baseline', key, warmKey, server.port, i);
            catalog = await drive('catalog', key, warmKey, server.port, i);
          } else {
            catalog = await drive('catalog', key, warmKey, server.port, i);
            baseline = await drive('baseline', key, warmKey, server.port, i);
          }
          runs.push({ catalog, baseline });
          log(
            `${label} round ${i + 1}: catalog ${catalog.ms.toFixed(0)} ms (verdict at ${catalog.validateMs?.toFixed(0)} ms, CPU ${catalog.cpuMs.toFixed(0)} ms, ${catalog.maxRssMiB.toFixed(0)} MiB, ${catalog.requests} requests, ${catalog.status}), baseline ${baseline.ms.toFixed(0)} ms (CPU ${baseline.cpuMs.toFixed(0)} ms, ${baseline.maxRssMiB.toFixed(0)} MiB)`,
          );
        }
        const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
        const c = median(runs.map((r) => r.catalog.ms));
        const b = median(runs.map((r) => r.baseline.ms));
        metrics[`${label}.catalogMs`] = { value: c, unit: 'ms', better: 'lower', label: 'validate one JAR (median)' };
        metrics[`${label}.baselineMs`] = { value: b, unit: 'ms', better: 'lower', label: 'streaming GET + SHA-256' };
        // Ratios are taken per round and then the median: the two sides of a round run back to back, in
        // the same state of a VM whose speed drifts by 2× over seconds, which a ratio of medians taken
        // from different rounds does not cancel.
        const paired = (pick: (r: (typeof runs)[number]) => number) => median(runs.map((r) => pick(r) / r.baseline.ms));
        metrics[`${label}.ratio`] = {
          value: paired((r) => r.catalog.ms),
          unit: '×',
          better: 'lower',
          label: 'target ≤ 1.3; median of the per-round ratios',
        };
        const v = median(runs.map((r) => r.catalog.validateMs ?? Number.NaN));
        metrics[`${label}.validateMs`] = {
          value: v,
          unit: 'ms',
          better: 'lower',
          label: 'of which up to the verdict (before the record, SBOM, tag and audit writes)',
        };
        metrics[`${label}.validateRatio`] = {
          value: paired((r) => r.catalog.validateMs ?? Number.NaN),
          unit: '×',
          better: 'lower',
          label: 'validation alone; median of the per-round ratios',
        };
        metrics[`${label}.catalogCpuMs`] = {
          value: median(runs.map((r) => r.catalog.cpuMs)),
          unit: 'ms',
          better: 'lower',
          label: 'CPU time of the validation (median)',
        };
        metrics[`${label}.baselineCpuMs`] = {
          value: median(runs.map((r) => r.baseline.cpuMs)),
          unit: 'ms',
          better: 'lower',
          label: 'CPU time of the plain read + SHA-256 (median)',
        };
        metrics[`${label}.catalogPeakRssMiB`] = {
          value: Math.max(...runs.map((r) => r.catalog.maxRssMiB)),
          unit: 'MiB',
          better: 'lower',
          label: size >= 1000 * MB ? 'target < 128' : 'function process',
        };
        metrics[`${label}.baselinePeakRssMiB`] = {
          value: Math.max(...runs.map((r) => r.baseline.maxRssMiB)),
          unit: 'MiB',
          better: 'lower',
        };
        metrics[`${label}.requests`] = {
          value: runs[0]?.catalog.requests ?? Number.NaN,
          unit: 'requests',
          better: 'lower',
          label: 'reads of the artifact: ranged GETs and the streaming GET',
        };
        metrics[`${label}.requestsTotal`] = {
          value: runs[0]?.catalog.requestsTotal ?? Number.NaN,
          unit: 'requests',
          better: 'lower',
          label: 'all requests of the event, reads and writes',
        };
        notes.push(`${label}: ${shape.entries} entries, ${shape.classes} classes; status ${runs[0]?.catalog.status}`);
        await rm(file);
      }
    } finally {
      await server.stop();
      await rm(dir, { recursive: true, force: true });
    }
    notes.push(
      'requests counts the reads of the artifact (ranged GETs of the central directory + 1 streaming GET); requestsTotal every request of the event',
    );
    return { metrics, notes };
  },
});
