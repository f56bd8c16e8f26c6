import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { mintTemporaryCredentials, type RunningOssServer, startOssServer } from '../local/oss';
import { buildFunctions, ROOT } from '../scripts/build';
import { localFunctionEnv } from '../scripts/code-cache/train';
import { loadConfig } from '../shared/config';
import type { HttpApp } from '../shared/http/types';
import { BucketLayout } from '../shared/layout';
import { createLogger } from '../shared/log';
import { createPresignApp } from '../shared/presign/http/app';
import { AliOssStore } from '../shared/storage/ali-oss-store';
import { OssHttpStore } from '../shared/storage/oss-http-store';
import { UrlSigner } from '../shared/storage/url-signer';
import { jobJar } from '../test/support/jar-builder';
import { defineBenchmark, type Metric, summarize } from './harness';

/**
 * The first request of every presign-api route in a fresh process, over bare node: what a caller waits
 * for when FC starts an instance for it (loading the bundle, the initializer if any, the request with
 * its first connection to the bucket). Then the first event of the other functions the same way: an OSS
 * event for the catalog, a timer for the pruner, a batch for the log shipper. Each sample is a new `node`
 * process against the local OSS server. `FIRST_REQUEST_SAMPLES` sets the processes per case (default 7,
 * 3 with --quick); `FIRST_REQUEST_CASES=<text>[,<text>…]` only the cases whose name contains one of them.
 * `FIRST_REQUEST_BASELINE=<dist dir of another build>` (say, an earlier commit's) also runs that build's
 * bundle in every sample, the two builds taking turns going first, and reports the paired difference
 * (each order's median, averaged): on a busy machine a slow moment then weighs on both sides of a
 * difference, not on one figure.
 */

const BUCKET = 'bench-first';
const ROOT_KEY = { accessKeyId: 'bench-first-key', accessKeySecret: 'bench-first-secret' };
const PART = 100 * 1024;
/** The namespace `GET /v1/artifacts` lists: three artifacts, the same in every sample. */
const LISTED = 'bench-listed';

const FUNCTIONS = ['presign-api', 'artifact-catalog', 'state-pruner', 'log-shipper'] as const;
type FunctionName = (typeof FUNCTIONS)[number];

interface Probe {
  method: string;
  path: string;
  query?: Record<string, string>;
  /** Sent as JSON; `text` instead sends the string as it is. */
  body?: unknown;
  text?: string;
  headers?: Record<string, string>;
}

/** One HTTP request, or one raw event (OSS, timer) handed to the function as FC would. */
type Invocation = Probe | { event: unknown };

/** A route or event and how to prepare one sample of it (state a sample consumes is made per sample). */
interface RouteCase {
  fn: FunctionName;
  name: string;
  prepare(sample: number): Promise<Invocation>;
  status: number;
}

function envFor(server: RunningOssServer): Record<string, string> {
  // A host name, as in FC: the first connection includes the name lookup.
  return localFunctionEnv(server.port, BUCKET, { id: 'bench', secret: 'bench-token' });
}

/** The same API in this process, to set up state (plans, objects) before a probe. */
function setupApp(env: Record<string, string>): HttpApp {
  const config = loadConfig(env);
  const credentials = () => ROOT_KEY;
  return createPresignApp({
    config,
    store: new AliOssStore({ config: config.oss, credentials }),
    signer: new UrlSigner(config.oss, credentials),
    layout: new BucketLayout(config.oss.bucket, config.oss.rootDirectory),
    logger: createLogger({}, { level: 'error' }),
    usingStsCredentials: () => false,
  });
}

async function call(app: HttpApp, method: string, path: string, body?: unknown): Promise<Record<string, unknown>> {
  const response = await app.handle({
    method,
    path,
    query: new URLSearchParams(),
    headers: { authorization: 'Bearer bench-token', 'content-type': 'application/json' },
    body: Buffer.from(body === undefined ? '' : JSON.stringify(body)),
  });
  if (response.status >= 300)
    throw new Error(`${method} ${path} answered ${response.status}: ${String(response.body)}`);
  return typeof response.body === 'string' && response.body !== '' ? JSON.parse(response.body) : {};
}

/** Puts an artifact through a presigned URL, as a user would. */
async function upload(app: HttpApp, name: string, size: number, namespace = 'bench'): Promise<void> {
  const signed = await call(app, 'POST', '/v1/uploads', { namespace, name, size });
  const res = await fetch(signed['url'] as string, {
    method: 'PUT',
    headers: signed['headers'] as Record<string, string>,
    body: Buffer.alloc(size, 1),
  });
  if (!res.ok) throw new Error(`PUT ${name} answered ${res.status}`);
}

/** A multipart plan with every part uploaded (`fill`) or none. */
async function plan(app: HttpApp, name: string, fill: boolean): Promise<string> {
  const created = await call(app, 'POST', '/v1/uploads', { namespace: 'bench', name, size: PART + 1000 });
  if (fill) {
    for (const part of created['parts'] as Array<{ url: string; size: number }>) {
      const res = await fetch(part.url, { method: 'PUT', body: Buffer.alloc(part.size, 2) });
      if (!res.ok) throw new Error(`part upload answered ${res.status}`);
    }
  }
  return created['uploadId'] as string;
}

function routes(app: HttpApp): Array<Omit<RouteCase, 'fn'>> {
  let readOnlyPlan: string | undefined;
  const sharedPlan = async () => {
    readOnlyPlan ??= await plan(app, 'read-only-plan.jar', false);
    return readOnlyPlan;
  };
  return [
    { name: 'GET /healthz', status: 200, prepare: async () => ({ method: 'GET', path: '/healthz' }) },
    { name: 'GET /openapi.json', status: 200, prepare: async () => ({ method: 'GET', path: '/openapi.json' }) },
    {
      name: 'POST /v1/uploads (single)',
      status: 201,
      prepare: async (i) => ({
        method: 'POST',
        path: '/v1/uploads',
        body: { namespace: 'bench', name: `single-${i}.jar`, size: 1024 },
      }),
    },
    {
      name: 'POST /v1/uploads (multipart plan)',
      status: 201,
      prepare: async (i) => ({
        method: 'POST',
        path: '/v1/uploads',
        body: { namespace: 'bench', name: `multi-${i}.jar`, size: 50 * PART },
      }),
    },
    {
      name: 'POST /v1/uploads/form',
      status: 201,
      prepare: async (i) => ({
        method: 'POST',
        path: '/v1/uploads/form',
        body: { namespace: 'bench', name: `form-${i}.jar`, size: 1024 },
      }),
    },
    {
      name: 'GET /v1/uploads/{id}',
      status: 200,
      prepare: async () => ({ method: 'GET', path: `/v1/uploads/${await sharedPlan()}` }),
    },
    {
      name: 'POST /v1/uploads/{id}/parts',
      status: 200,
      prepare: async () => ({ method: 'POST', path: `/v1/uploads/${await sharedPlan()}/parts`, body: {} }),
    },
    {
      name: 'POST /v1/uploads/{id}/complete',
      status: 200,
      prepare: async (i) => ({
        method: 'POST',
        path: `/v1/uploads/${await plan(app, `complete-${i}.jar`, true)}/complete`,
        body: {},
      }),
    },
    {
      name: 'DELETE /v1/uploads/{id}',
      status: 204,
      prepare: async (i) => ({ method: 'DELETE', path: `/v1/uploads/${await plan(app, `abort-${i}.jar`, false)}` }),
    },
    {
      name: 'POST /v1/downloads',
      status: 201,
      prepare: async () => ({
        method: 'POST',
        path: '/v1/downloads',
        body: { namespace: 'bench', name: 'existing.jar' },
      }),
    },
    {
      name: 'GET /v1/artifacts',
      status: 200,
      // A namespace of its own: `bench` gains artifacts sample after sample, and each listed one is a read.
      prepare: async () => ({ method: 'GET', path: '/v1/artifacts', query: { namespace: LISTED } }),
    },
    {
      name: 'GET /v1/artifacts/{ns}/{name}',
      status: 200,
      prepare: async () => ({ method: 'GET', path: '/v1/artifacts/bench/existing.jar' }),
    },
    {
      name: 'DELETE /v1/artifacts/{ns}/{name}',
      status: 204,
      prepare: async (i) => {
        await upload(app, `delete-${i}.jar`, 1024);
        return { method: 'DELETE', path: `/v1/artifacts/bench/delete-${i}.jar` };
      },
    },
  ];
}

/** A checkpoint as Flink 1.17 wrote it, under a deployment of the Realtime Compute layout. */
const CHECKPOINT_FIXTURE = join(ROOT, 'test/fixtures/flink-metadata/flink1.17-v4-rocksdb-checkpoint/_metadata');
const JOB_DIR =
  'flink-jobs/namespaces/bench/deployments/dep-1/checkpoints/jobs/0f3b6e3c-1d2a-4a57-9a0e-5c1f0e2b7d11/0f3b6e3c1d2a4a579a0e5c1f0e2b7d11';

/** The first event of each of the other functions, on a small workspace. */
function eventCases(store: OssHttpStore): RouteCase[] {
  let workspace: Promise<void> | undefined;
  const smallWorkspace = () => {
    workspace ??= (async () => {
      for (const n of [1, 2]) {
        await store.put(`${JOB_DIR}/chk-${n}/_metadata`, readFileSync(CHECKPOINT_FIXTURE));
        await store.put(`${JOB_DIR}/shared/${randomUUID()}`, Buffer.alloc(1024, n));
      }
    })();
    return workspace;
  };
  return [
    {
      fn: 'artifact-catalog',
      name: 'artifact-catalog: OSS event, a JAR uploaded',
      status: 200,
      prepare: async (i) => {
        // New bytes each sample: the catalog skips an object whose ETag it has already judged.
        const key = `artifacts/namespaces/bench/catalog-${i}.jar`;
        await store.put(key, jobJar([{ name: `sample-${i}-${randomUUID()}.txt`, data: 'x' }]));
        const info = (await store.head(key))!;
        return {
          event: {
            events: [
              {
                eventName: 'ObjectCreated:PutObject',
                eventSource: 'acs:oss',
                eventTime: new Date().toISOString(),
                eventVersion: '1.0',
                region: 'cn-hangzhou',
                oss: {
                  bucket: { name: BUCKET, arn: `acs:oss:cn-hangzhou:1234567890123456:${BUCKET}` },
                  object: { key, size: info.size, eTag: info.etag },
                },
              },
            ],
          },
        };
      },
    },
    {
      fn: 'state-pruner',
      name: 'state-pruner: timer, one job (dry run)',
      status: 200,
      prepare: async () => {
        await smallWorkspace();
        return { event: { triggerTime: new Date().toISOString(), triggerName: 'hourly', payload: '' } };
      },
    },
    {
      fn: 'log-shipper',
      name: 'log-shipper: POST /v1/logs, 20 records',
      status: 200,
      prepare: async (i) => ({
        method: 'POST',
        path: '/v1/logs',
        query: { namespace: 'bench', deployment: 'first-request' },
        headers: { 'content-type': 'application/x-ndjson', 'idempotency-key': `first-${i}-${randomUUID()}` },
        text: Array.from(
          { length: 20 },
          (_, n) => `${JSON.stringify({ time: new Date().toISOString(), level: 'INFO', message: `record ${n}` })}\n`,
        ).join(''),
      }),
    },
  ];
}

const run = promisify(execFile);
let profiles = 0;

/** What a probe prints on its `PROBE` line (bench/fixtures/first-request-probe.cjs). */
interface ProbeResult {
  ms: number;
  cpuMs: number;
  status: number;
  startedMs?: number;
  loadedMs?: number;
  /** How the entry fared with the code cache; absent for the floors and bare node. */
  codeCache?: string;
  body?: string;
}

/** One fresh process: ms from its start to the answer. Asynchronous: the OSS server runs in this process. */
async function probe(
  bundle: string,
  env: Record<string, string>,
  request?: Invocation | 'connect' | 'connect-address',
): Promise<ProbeResult> {
  // FIRST_REQUEST_PROFILE_DIR=<dir> writes a CPU profile of every probe process there.
  const profileDir = process.env.FIRST_REQUEST_PROFILE_DIR;
  const name =
    request === undefined || typeof request === 'string'
      ? (request ?? 'bare')
      : 'event' in request
        ? `event-${bundle.split('/').at(-2)}`
        : `${request.method}${request.path.replace(/[^a-z0-9]+/gi, '-')}`;
  const args = [
    ...(profileDir
      ? [
          '--cpu-prof',
          '--cpu-prof-interval=100',
          `--cpu-prof-dir=${profileDir}`,
          `--cpu-prof-name=${name}-${++profiles}.cpuprofile`,
        ]
      : []),
    join(ROOT, 'bench/fixtures/first-request-probe.cjs'),
    bundle,
  ];
  if (typeof request === 'string') args.push(request);
  else if (request === undefined) args.push('bare');
  else if ('event' in request) args.push('event', JSON.stringify(request.event));
  // The event's time comes with it, as FC writes it: formatting a date would cost the probe's own process.
  else
    args.push('request', JSON.stringify({ ...request, time: new Date().toISOString(), timeEpoch: String(Date.now()) }));
  // FIRST_REQUEST_NODE_OPTIONS=<options> is every probe's NODE_OPTIONS: a `--require` of a tracing script,
  // say (V8 flags would make Node refuse its own code cache, and the figures with it).
  const nodeOptions = process.env.FIRST_REQUEST_NODE_OPTIONS;
  const { stdout, stderr } = await run(process.execPath, args, {
    env: { PATH: process.env.PATH, ...(nodeOptions ? { NODE_OPTIONS: nodeOptions } : {}), ...env },
  });
  // Function log lines share stdout; the probe's own line is marked.
  const line = stdout.split('\n').find((l) => l.startsWith('PROBE '));
  if (!line) throw new Error(`probe printed no result: ${stdout}${stderr}`);
  const parsed = JSON.parse(line.slice('PROBE '.length)) as ProbeResult;
  if (typeof request === 'object' && parsed.status >= 300)
    process.stderr.write(`${'path' in request ? `${request.method} ${request.path}` : 'event'}: ${parsed.body}\n`);
  return parsed;
}

const round = (n: number) => Math.round(n * 10) / 10;

export default defineBenchmark({
  name: 'first-request',
  description:
    "every presign-api route's first request, and the other functions' first event, in a fresh process over bare node (local OSS server)",
  async run({ quick, log }) {
    const samples = Number(process.env.FIRST_REQUEST_SAMPLES) || (quick ? 3 : 7);
    log(`building ${FUNCTIONS.join(', ')}`);
    const built = await buildFunctions([...FUNCTIONS]);
    const bundles = new Map(FUNCTIONS.map((fn, i) => [fn, built[i]!.file]));
    const baselineDir = process.env.FIRST_REQUEST_BASELINE;
    const bundle = bundles.get('presign-api')!;
    const server = await startOssServer({ port: 0, accessKeys: [ROOT_KEY], buckets: [BUCKET] });
    try {
      const baseEnv = envFor(server);
      // FC passes the role's STS keys in context.credentials; so does the probe.
      const env = {
        ...baseEnv,
        PROBE_CREDENTIALS: JSON.stringify(mintTemporaryCredentials(ROOT_KEY, 3600)),
      };
      const app = setupApp(baseEnv);
      await upload(app, 'existing.jar', 4096);
      for (const n of [1, 2, 3]) await upload(app, `job-${n}.jar`, 4096, LISTED);
      const config = loadConfig(baseEnv);
      const store = new OssHttpStore({ config: config.oss, credentials: () => ROOT_KEY });
      // FIRST_REQUEST_CASES=<text>[,<text>…] measures only the cases whose name contains one of them.
      const only = process.env.FIRST_REQUEST_CASES?.split(',').filter(Boolean);
      const all: RouteCase[] = [
        ...routes(app).map((route) => ({ ...route, fn: 'presign-api' as const })),
        ...eventCases(store),
      ];
      const cases = all.filter((c) => !only?.length || only.some((text) => c.name.includes(text)));
      if (cases.length === 0)
        throw new Error(
          `FIRST_REQUEST_CASES=${process.env.FIRST_REQUEST_CASES} matches no case; the cases are: ${all.map((c) => c.name).join('; ')}`,
        );
      const bare = { wall: [] as number[], cpu: [] as number[] };
      const floor = { wall: [] as number[], cpu: [] as number[] };
      const floorByAddress = { wall: [] as number[], cpu: [] as number[] };
      // How the entry fared with the code cache in this build's probes: `used` in every one, or the figures mislead.
      const codeCaches = new Map<string, number>();
      const byRoute = new Map(
        cases.map((c) => [
          c.name,
          {
            wall: [] as number[],
            cpu: [] as number[],
            load: [] as number[],
            answer: [] as number[],
            // Paired differences to the baseline, by which build went first.
            delta: [[], []] as [number[], number[]],
          },
        ]),
      );
      log(`${samples} fresh processes per route, ${cases.length} routes, interleaved with bare node`);
      for (let i = 0; i < samples; i++) {
        const f = await probe(bundle, env, 'connect');
        floor.wall.push(f.ms);
        floor.cpu.push(f.cpuMs);
        const a = await probe(bundle, env, 'connect-address');
        floorByAddress.wall.push(a.ms);
        floorByAddress.cpu.push(a.cpuMs);
        for (const route of cases) {
          const request = await route.prepare(i);
          const b = await probe(bundle, env);
          bare.wall.push(b.ms);
          bare.cpu.push(b.cpuMs);
          // With a baseline, the two builds take turns going first: the order of two probes moves their times.
          const baselineFirst = baselineDir !== undefined && i % 2 === 1;
          const other = baselineDir
            ? async () => {
                // The same case once more, on the other build: new state where a sample consumes it.
                const again = await route.prepare(i + samples);
                return probe(join(baselineDir, route.fn, 'index.js'), { ...env, PROBE_FUNCTION: route.fn }, again);
              }
            : undefined;
          const before = baselineFirst ? await other?.() : undefined;
          const { ms, cpuMs, status, startedMs, loadedMs, codeCache } = await probe(
            bundles.get(route.fn)!,
            { ...env, PROBE_FUNCTION: route.fn },
            request,
          );
          if (status !== route.status) throw new Error(`${route.name} answered ${status}, expected ${route.status}`);
          codeCaches.set(codeCache ?? 'unknown', (codeCaches.get(codeCache ?? 'unknown') ?? 0) + 1);
          const of = byRoute.get(route.name)!;
          of.wall.push(ms);
          of.cpu.push(cpuMs);
          of.load.push(loadedMs! - startedMs!);
          of.answer.push(ms - loadedMs!);
          const after = other && !baselineFirst ? await other() : before;
          if (after) of.delta[baselineFirst ? 1 : 0].push(ms - after.ms);
        }
      }
      const cacheUse = [...codeCaches].map(([state, n]) => `${state} ${n}×`).join(', ');
      if (codeCaches.size > 1 || !codeCaches.has('used'))
        log(`code cache not used in every probe of this build (${cacheUse}): these figures are not the deployed ones`);
      const bareMs = summarize(bare.wall).p50;
      const bareCpu = summarize(bare.cpu).p50;
      const metrics: Record<string, Metric> = {
        bareNodeMs: {
          value: round(bareMs),
          unit: 'ms',
          label: `p50 of ${bare.wall.length}, process start to end of script`,
        },
        bareNodeCpuMs: { value: round(bareCpu), unit: 'ms', label: 'p50 CPU time of the same' },
        'floor: one HTTP request by host name +ms': {
          value: round(summarize(floor.wall).p50 - bareMs),
          unit: 'ms',
          label: `wall; CPU +${round(summarize(floor.cpu).p50 - bareCpu)} ms; no bundle, plain node:http to the OSS endpoint`,
        },
        'floor: one HTTP request by address +ms': {
          value: round(summarize(floorByAddress.wall).p50 - bareMs),
          unit: 'ms',
          label: `wall; CPU +${round(summarize(floorByAddress.cpu).p50 - bareCpu)} ms; the same with the name resolved, as the functions' client connects`,
        },
      };
      const routesOut: Array<{
        fn: FunctionName;
        route: string;
        addedMs: number;
        addedCpuMs: number;
        p50Ms: number;
        loadMs: number;
        answerMs: number;
      }> = [];
      for (const route of cases) {
        const samplesOf = byRoute.get(route.name)!;
        const ms = summarize(samplesOf.wall).p50;
        const cpu = summarize(samplesOf.cpu).p50;
        const load = summarize(samplesOf.load).p50;
        const answer = summarize(samplesOf.answer).p50;
        routesOut.push({
          fn: route.fn,
          route: route.name,
          addedMs: round(ms - bareMs),
          addedCpuMs: round(cpu - bareCpu),
          p50Ms: round(ms),
          loadMs: round(load),
          answerMs: round(answer),
        });
        metrics[`${route.name} +ms`] = {
          value: round(ms - bareMs),
          unit: 'ms',
          better: 'lower',
          label: `wall; CPU +${round(cpu - bareCpu)} ms; loading ${round(load)} ms, answering ${round(answer)} ms`,
        };
        if (baselineDir) {
          // Each order's median, averaged: whatever going first or second does to a probe cancels out.
          const [first, second] = samplesOf.delta;
          const medians = [first, second].filter((d) => d.length > 0).map((d) => summarize(d).p50);
          metrics[`${route.name} vs baseline`] = {
            value: round(medians.reduce((sum, m) => sum + m, 0) / medians.length),
            unit: 'ms',
            better: 'lower',
            label: `paired differences, this build minus ${baselineDir} (${first.length + second.length} pairs)`,
          };
        }
      }
      const worstOf = (fns: FunctionName[]) =>
        Math.max(...routesOut.filter((r) => fns.includes(r.fn)).map((r) => r.addedMs));
      metrics['worst route +ms'] = {
        value: round(worstOf(['presign-api'])),
        unit: 'ms',
        better: 'lower',
        label: 'presign-api; target ≤ 60',
      };
      metrics['worst first event +ms'] = {
        value: round(worstOf(['artifact-catalog', 'state-pruner', 'log-shipper'])),
        unit: 'ms',
        better: 'lower',
        label: 'catalog, pruner, log shipper; target ≤ 60',
      };
      return {
        metrics,
        routes: routesOut,
        notes: [
          'Each sample: a fresh node process loads dist/<function>, runs its initializer if it exports one, answers one FC event (HTTP, OSS or timer); time from process start. "+ms" = p50 of that minus p50 of bare node.',
          'The bucket is the local OSS server in this process, reached by host name (localhost) as FC reaches OSS by name; context.credentials are STS keys.',
          "The floor is bare node making one plain node:http request to the same endpoint by host name: what any code that touches the bucket pays in a fresh process, whatever its bundle. By address, the same request to the resolved address with the TLS server name given, as the functions' client connects: Node then skips compiling its IPv6 pattern.",
          'Loading is require() of the bundle plus its initializer; answering is the handler until it returns. With FIRST_REQUEST_BASELINE, "vs baseline" averages the median paired difference of each order (this build first, the other first).',
          'CPU +ms is the probe process CPU time (user + system) over bare node: the figure to compare on a busy machine, where wall time mostly measures waiting for a core.',
          `Code cache of this build, per probe: ${cacheUse}.`,
        ],
      };
    } finally {
      await server.close();
    }
  },
});
