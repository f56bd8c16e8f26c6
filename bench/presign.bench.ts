import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { buildFunctions, bundleFunction, ROOT } from '../scripts/build';
import { loadConfig } from '../shared/config';
import { tokenDigest } from '../shared/presign/auth';
import { UrlSigner } from '../shared/storage/url-signer';
import { defineBenchmark, type Metric, summarize } from './harness';
import { measureUploadLatency } from './presign-latency';

const require = createRequire(import.meta.url);
// Real STS tokens are about a kilobyte of base64; signing cost depends on it, so the bench uses one as long.
const credentials = {
  accessKeyId: 'STS.NUgYrLnoC37mZZCNnAbez2nzzU',
  accessKeySecret: 'bench-secret-0123456789abcdefghij',
  securityToken: randomBytes(768).toString('base64'),
};
const key = 'artifacts/namespaces/team-a/flink-job-1.0.jar';

/** Signatures per second: our V4 signer against ali-oss's signatureUrlV4, same key, headers and credentials. */
async function signingRate(iterations: number): Promise<Record<string, Metric>> {
  const config = loadConfig({ OSS_BUCKET: 'flink-ws', OSS_REGION: 'cn-hangzhou' });
  const signer = new UrlSigner(config.oss, () => credentials);
  const OSS = require('ali-oss') as new (
    o: object,
  ) => { signatureUrlV4(m: string, e: number, r: object, k: string, a?: string[]): Promise<string> };
  const client = new OSS({
    ...credentials,
    stsToken: credentials.securityToken,
    refreshSTSToken: async () => credentials,
    bucket: 'flink-ws',
    region: 'oss-cn-hangzhou',
    authorizationV4: true,
  });
  const headers = { 'content-type': 'application/java-archive', 'x-oss-forbid-overwrite': 'true' };

  const runOurs = () => {
    const start = performance.now();
    for (let i = 0; i < iterations; i++)
      signer.signUrl({
        method: 'PUT',
        key,
        expiresSeconds: 900,
        headers,
        bindHeaders: { 'content-length': '1048576' },
      });
    return iterations / ((performance.now() - start) / 1000);
  };
  const runTheirs = async () => {
    const start = performance.now();
    for (let i = 0; i < iterations; i++)
      await client.signatureUrlV4(
        'PUT',
        900,
        { headers: { 'Content-Type': headers['content-type'], 'x-oss-forbid-overwrite': 'true' } },
        key,
      );
    return iterations / ((performance.now() - start) / 1000);
  };
  // Warm both, then alternate rounds so drift on a shared machine hits both alike.
  runOurs();
  await runTheirs();
  const ours: number[] = [];
  const theirs: number[] = [];
  for (let round = 0; round < 5; round++) {
    ours.push(runOurs());
    theirs.push(await runTheirs());
  }
  const o = summarize(ours).p50;
  const t = summarize(theirs).p50;
  return {
    signV4PerSecond: { value: Math.round(o), unit: 'sig/s', better: 'higher', label: 'this pack, UrlSigner.signUrl' },
    aliOssSignatureUrlV4PerSecond: {
      value: Math.round(t),
      unit: 'sig/s',
      better: 'higher',
      label: 'ali-oss signatureUrlV4, same run',
    },
    signSpeedup: { value: Math.round((o / t) * 100) / 100, unit: '×', better: 'higher', label: 'target ≥ 3×' },
  };
}

/** Runs the cold-start probe once in a fresh process and returns ms from process start to the answer. */
function probe(bundle: string, mode: 'bare' | 'handler'): number {
  const env = {
    PATH: process.env.PATH,
    OSS_BUCKET: 'flink-ws',
    OSS_REGION: 'cn-hangzhou',
    LOG_LEVEL: 'error',
    // Signing only: no bucket here, so no audit trail either (its PUT would have nowhere to go).
    AUDIT_TRAIL: 'false',
    API_TOKENS: JSON.stringify([{ id: 'bench', sha256: tokenDigest('bench-token'), namespaces: '*', actions: '*' }]),
    PROBE_CREDENTIALS: JSON.stringify({
      accessKeyId: 'STS.bench',
      accessKeySecret: 'bench-secret',
      securityToken: 'bench-token',
    }),
  };
  const request = {
    method: 'POST',
    path: '/v1/uploads',
    body: { namespace: 'team-a', name: 'job.jar', size: 1048576 },
  };
  const args = mode === 'bare' ? ['bare'] : ['request', JSON.stringify(request)];
  const run = spawnSync(process.execPath, [join(ROOT, 'bench/fixtures/first-request-probe.cjs'), bundle, ...args], {
    env,
    encoding: 'utf8',
  });
  const line = run.stdout.split('\n').find((l) => l.startsWith('PROBE ')) ?? '';
  const parsed = JSON.parse(line.slice('PROBE '.length)) as { ms: number; status: number };
  if (mode === 'handler' && parsed.status !== 201)
    throw new Error(`${bundle} answered ${parsed.status}: ${run.stdout}${run.stderr}`);
  return parsed.ms;
}

async function coldStart(runs: number, log: (m: string) => void): Promise<Record<string, Metric>> {
  log('building presign-api and the ali-oss reference bundle');
  const [built] = await buildFunctions(['presign-api']);
  const refDir = mkdtempSync(join(tmpdir(), 'cold-ref-'));
  const ref = await bundleFunction('reference', join(ROOT, 'bench/fixtures/reference-handler.cjs'), refDir, {
    sideBundles: false,
  });
  const samples = { bare: [] as number[], ours: [] as number[], ref: [] as number[] };
  log(`${runs} fresh processes each, interleaved`);
  for (let i = 0; i < runs; i++) {
    samples.bare.push(probe(built!.file, 'bare'));
    samples.ours.push(probe(built!.file, 'handler'));
    samples.ref.push(probe(ref.file, 'handler'));
  }
  const bare = summarize(samples.bare).p50;
  const ours = summarize(samples.ours).p50;
  const refMs = summarize(samples.ref).p50;
  const addedOurs = ours - bare;
  const addedRef = refMs - bare;
  const gz = (file: string) => gzipSync(readFileSync(file)).length;
  return {
    bundleBytes: {
      value: built!.bytes,
      unit: 'B',
      better: 'lower',
      label: 'dist/presign-api/index.js (ali-oss side bundle not loaded at start)',
    },
    bundleGzipBytes: { value: gz(built!.file), unit: 'B', better: 'lower' },
    referenceBundleBytes: {
      value: statSync(ref.file).size,
      unit: 'B',
      label: 'bundle whose handler builds the ali-oss client',
    },
    coldStartBareNodeMs: { value: round(bare), unit: 'ms', label: 'p50, process start to end of script' },
    coldStartPresignApiMs: {
      value: round(ours),
      unit: 'ms',
      better: 'lower',
      label: 'p50, start to first POST /v1/uploads answered',
    },
    coldStartReferenceMs: { value: round(refMs), unit: 'ms', label: 'p50, same request via ali-oss client' },
    addedOverBareMs: { value: round(addedOurs), unit: 'ms', better: 'lower' },
    referenceAddedOverBareMs: { value: round(addedRef), unit: 'ms' },
    addedRatio: { value: round(addedOurs / addedRef), unit: '× of reference', better: 'lower', label: 'target ≤ 0.5' },
  };
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}

export default defineBenchmark({
  name: 'presign',
  description:
    'presign-api: V4 signing rate vs ali-oss, POST /v1/uploads latency on the local stack, bundle size and cold start',
  async run({ quick, log }) {
    log('signing rate');
    const signing = await signingRate(quick ? 2000 : 20000);
    const cold = await coldStart(quick ? 5 : 21, log);
    log('POST /v1/uploads latency on the local stack');
    const latency = await measureUploadLatency(quick ? 200 : 2000, log);
    return {
      metrics: { ...signing, ...cold, ...latency },
      notes: [
        'Cold start = a fresh node process loading the bundle and answering its first POST /v1/uploads event, measured from process start; bare = the same process doing nothing.',
        'Latency goes through the local stack over loopback HTTP: FC HTTP event emulation, a warm function instance, JSON in and out.',
      ],
    };
  },
});
