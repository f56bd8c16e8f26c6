/**
 * The whole pack on one machine: the local OSS server, the bucket configured for the pack, and every
 * function of s.yaml running in the local FC runtime with its triggers. `npm start`, `npm run invoke`
 * and the end-to-end tests all start it through `startLocalStack`.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { buildFunctions, ROOT } from '../scripts/build';
import type { Credentials } from '../shared/config';
import { tokenDigest } from '../shared/presign/auth';
import { mintTemporaryCredentials, type RunningOssServer, startOssServer } from './oss';
import { ossOptionsFromEnv } from './oss/env';
import { LOCAL_ACCOUNT_ID, type LocalRuntime, loadStack, type RuntimeOptions, startRuntime } from './runtime';
import { LOCAL_DEV_TOKEN_ID, type LocalSettings } from './settings';
import { applyBucketSetup, type BucketAdminClient } from './setup/apply';
import type { BucketSetupPlan } from './setup/bucket-plan';

/** Lifetime of the STS keys functions get, as FC's are (36 h). */
const STS_TTL_SECONDS = 36 * 3600;
/** HTTP functions and the variable that sets each one's port. */
const HTTP_PORTS = { 'presign-api': 'apiPort', 'log-shipper': 'logsPort' } as const;
const PORT_VARIABLES = { apiPort: 'LOCAL_API_PORT', logsPort: 'LOCAL_LOGS_PORT' } as const;

export interface LocalStackOptions {
  settings: LocalSettings;
  /** Keep data on disk under `settings.dataDir` (default); false keeps it in memory (tests). */
  persist?: boolean;
  /** Delete the data directory first (`npm start -- --fresh`). */
  fresh?: boolean;
  /** Build the bundles first (default true). */
  build?: boolean;
  /** s.yaml to run (default the repository's). */
  stackFile?: string;
  /** Fire timer triggers (default true). */
  timers?: boolean;
  /** Extra environment for every function. */
  env?: Record<string, string>;
  /** Where the stack's own messages go. */
  log?: (line: string) => void;
  /** Forwarded to the runtime (function output, async outcomes…). */
  runtime?: Partial<
    Pick<
      RuntimeOptions,
      'output' | 'log' | 'onAsyncOutcome' | 'asyncRetry' | 'maxInstancesPerFunction' | 'prewarm' | 'invokeApi'
    >
  >;
  /** Log every OSS request. */
  ossRequestLog?: (line: string) => void;
}

export interface LocalStack {
  oss: RunningOssServer;
  runtime: LocalRuntime;
  /** Base URL of the OSS server as functions and presigned URLs use it. */
  ossEndpoint: string;
  /** Base URL of each HTTP function, by resource name. */
  urls: Record<string, string>;
  settings: LocalSettings;
  bucketSetup: BucketSetupPlan;
  /** The environment the functions run with (after s.yaml resolution), for printing and tests. */
  functionEnv: Record<string, string>;
  close(): Promise<void>;
}

/** The values that make s.yaml's functions talk to the local OSS server instead of Alibaba Cloud. */
export function localStackEnv(settings: LocalSettings, ossPort: number): Record<string, string> {
  return {
    FC_REGION_ID: settings.region,
    FC_ROLE_ARN: `acs:ram::${LOCAL_ACCOUNT_ID}:role/flink-artifact-lifecycle-local`,
    OSS_BUCKET: settings.bucket,
    // A host name (not an IP) keeps ali-oss from rewriting the Host header; path style because
    // <bucket>.localhost does not resolve everywhere (docs/oss-protocol.md §7).
    OSS_ENDPOINT: `http://localhost:${ossPort}`,
    OSS_PUBLIC_ENDPOINT: `http://localhost:${ossPort}`,
    OSS_PATH_STYLE: 'true',
    OSS_SECURE: 'false',
    OSS_INTERNAL: 'false',
    OSS_ACCELERATE: 'false',
    API_TOKENS: JSON.stringify([
      { id: LOCAL_DEV_TOKEN_ID, sha256: tokenDigest(settings.apiToken), namespaces: '*', actions: '*' },
      ...settings.extraApiTokens,
    ]),
  };
}

/** Starts everything, or nothing: a failure stops what already started and rethrows. */
export async function startLocalStack(options: LocalStackOptions): Promise<LocalStack> {
  const { settings } = options;
  const log = options.log ?? (() => undefined);
  const persist = options.persist ?? true;
  if (options.fresh && persist) {
    log(`Removing ${settings.dataDir} (--fresh)`);
    await rm(settings.dataDir, { recursive: true, force: true });
  }
  if (options.build ?? true) {
    const built = await buildFunctions();
    log(`Built ${built.map((b) => `${b.name} (${(b.bytes / 1024).toFixed(0)} KiB)`).join(', ')}`);
    for (const problem of built.flatMap((b) => b.codeCacheProblem ?? [])) log(`  (no code cache: ${problem})`);
  }

  const root = { accessKeyId: settings.accessKeyId, accessKeySecret: settings.accessKeySecret };
  const oss = await startOssServer({
    port: settings.ossPort,
    host: '127.0.0.1',
    ...(persist && { dataDir: join(settings.dataDir, 'oss') }),
    region: settings.region,
    accessKeys: [root],
    buckets: [settings.bucket],
    ...(options.ossRequestLog && { log: options.ossRequestLog }),
    ...ossOptionsFromEnv(process.env, settings.accessKeySecret),
  });
  let runtime: LocalRuntime | undefined;
  try {
    const ossEndpoint = `http://localhost:${oss.port}`;
    const bucketSetup = await applyBucketSetup(await adminClient(ossEndpoint, settings), settings.bucket, {
      corsOrigins: [`http://localhost:${settings.apiPort}`, `http://127.0.0.1:${settings.apiPort}`],
      abortMultipartAfterDays: 7,
      logsExpireAfterDays: 30,
      root: '',
    });
    for (const change of bucketSetup.changes) log(`Bucket ${settings.bucket}: ${change}`);

    const stackEnv = { ...process.env, ...localStackEnv(settings, oss.port) };
    const stack = loadStack(options.stackFile ?? join(ROOT, 's.yaml'), {
      env: stackEnv,
      config: { AccountID: LOCAL_ACCOUNT_ID },
    });
    let minted: { credentials: Credentials; renewAt: number } | undefined;
    const credentials = (): Credentials => {
      if (!minted || Date.now() > minted.renewAt) {
        const c = mintTemporaryCredentials(root, STS_TTL_SECONDS);
        minted = {
          credentials: {
            accessKeyId: c.accessKeyId,
            accessKeySecret: c.accessKeySecret,
            securityToken: c.securityToken,
          },
          renewAt: Date.now() + (STS_TTL_SECONDS / 2) * 1000,
        };
      }
      return minted.credentials;
    };
    const http: Record<string, { port: number; portVariable: string }> = {};
    for (const fn of stack.functions) {
      const field = HTTP_PORTS[fn.resource as keyof typeof HTTP_PORTS];
      if (field) http[fn.resource] = { port: settings[field], portVariable: PORT_VARIABLES[field] };
    }
    runtime = await startRuntime({
      stack,
      credentials,
      http,
      timers: options.timers ?? true,
      // Cloud code (ali-oss from context.region, the FC SDK's default endpoint) reaches the local servers.
      cloudRoutes: { region: settings.region, ossPort: oss.port },
      ...(options.env && { env: options.env }),
      ...options.runtime,
    });
    runtime.attach(oss.notifications, { bucket: settings.bucket });
    const urls: Record<string, string> = {};
    for (const fn of stack.functions) if (runtime.urls[fn.name]) urls[fn.resource] = runtime.urls[fn.name]!;
    const started = runtime;
    return {
      oss,
      runtime: started,
      ossEndpoint,
      urls,
      settings,
      bucketSetup,
      functionEnv: stack.functions[0]?.environment ?? {},
      async close() {
        await started.close({ drainTimeoutMs: 5000 });
        await oss.close();
      },
    };
  } catch (error) {
    await runtime?.close({ drainTimeoutMs: 0 }).catch(() => undefined);
    await oss.close().catch(() => undefined);
    throw error;
  }
}

async function adminClient(endpoint: string, settings: LocalSettings): Promise<BucketAdminClient> {
  const { default: OSS } = (await import('ali-oss')) as unknown as { default: new (o: object) => BucketAdminClient };
  return new OSS({
    endpoint,
    sldEnable: true,
    region: `oss-${settings.region}`,
    accessKeyId: settings.accessKeyId,
    accessKeySecret: settings.accessKeySecret,
    authorizationV4: true,
  });
}
