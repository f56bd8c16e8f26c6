/**
 * One pruning run in a process of its own, so that its peak memory is the pruner's alone. Started by
 * `state-pruner.bench.ts` with the server's port; prints one JSON line with the report's figures.
 */
import { loadConfig } from '../shared/config';
import { BucketLayout } from '../shared/layout';
import { createLogger } from '../shared/log';
import { runPrune } from '../shared/retention/run';
import { OssHttpStore } from '../shared/storage/oss-http-store';

const env = process.env;
const config = loadConfig({
  OSS_BUCKET: env.BENCH_BUCKET ?? '',
  OSS_REGION: 'cn-hangzhou',
  OSS_ENDPOINT: `http://127.0.0.1:${env.BENCH_PORT}`,
  OSS_PATH_STYLE: 'true',
  OSS_SIGNATURE_VERSION: 'v1',
  PRUNE_DRY_RUN: env.BENCH_DRY_RUN ?? 'false',
  PRUNE_TIME_BUDGET: '1h',
  PRUNE_FANOUT_DEPLOYMENTS: '0',
  PRUNE_CONCURRENCY: env.BENCH_CONCURRENCY ?? '8',
});
// The store the function itself uses (functions/state-pruner/index.ts), so the memory measured is the function's.
const store = new OssHttpStore({
  config: config.oss,
  credentials: () => ({ accessKeyId: env.BENCH_KEY_ID ?? '', accessKeySecret: env.BENCH_KEY_SECRET ?? '' }),
});
const shift = Number(env.BENCH_SHIFT_MS ?? 0);
const started = performance.now();
const result = await runPrune({
  store,
  layout: new BucketLayout(config.oss.bucket),
  settings: config.prune,
  logger: createLogger({}, { level: 'warn' }),
  runId: `bench-${Date.now()}`,
  now: () => Date.now() + shift,
});
const r = result.report;
process.stdout.write(
  `${JSON.stringify({
    seconds: (performance.now() - started) / 1000,
    maxRssMiB: process.resourceUsage().maxRSS / 1024,
    outcome: r.outcome,
    totals: r.totals,
    metadataDeletions: r.totals.deletedMetadata,
  })}\n`,
);
