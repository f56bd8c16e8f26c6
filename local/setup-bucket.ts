/**
 * `npm run setup-bucket [-- --local | --dry-run | --origins a,b | --abort-multipart-days N | --logs-expire-days N]`
 *
 * Prepares a bucket for the pack: the CORS rule browsers need to upload directly, a lifecycle rule that
 * aborts multipart uploads left unfinished, and the expiry of shipped logs. Targets the bucket of the
 * OSS_* variables (the same ones the functions use), or the local stack's bucket with --local or when
 * OSS_BUCKET is unset. Idempotent: prints what it changed and what was already right.
 */
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../shared/config';
import { normalizeRootDirectory } from '../shared/layout';
import { serviceEndpoint } from '../shared/storage/endpoints';
import { readLocalSettings } from './settings';
import { applyBucketSetup, type BucketAdminClient } from './setup/apply';

interface Target {
  bucket: string;
  client: BucketAdminClient;
  root: string;
  defaultOrigins: string[];
  description: string;
}

async function aliOss(options: object): Promise<BucketAdminClient> {
  const { default: OSS } = (await import('ali-oss')) as unknown as { default: new (o: object) => BucketAdminClient };
  return new OSS(options);
}

async function localTarget(): Promise<Target> {
  const s = readLocalSettings();
  const client = await aliOss({
    endpoint: `http://127.0.0.1:${s.ossPort}`,
    sldEnable: true,
    region: `oss-${s.region}`,
    accessKeyId: s.accessKeyId,
    accessKeySecret: s.accessKeySecret,
    authorizationV4: true,
  });
  return {
    bucket: s.bucket,
    client,
    root: '',
    defaultOrigins: [`http://localhost:${s.apiPort}`, `http://127.0.0.1:${s.apiPort}`],
    description: `local bucket ${s.bucket} on http://127.0.0.1:${s.ossPort}`,
  };
}

async function cloudTarget(): Promise<Target> {
  const config = loadConfig();
  const credentials = config.envCredentials;
  if (!credentials) {
    throw new ConfigError([
      {
        variable: 'ALIBABA_CLOUD_ACCESS_KEY_ID',
        reason: 'is required (with ALIBABA_CLOUD_ACCESS_KEY_SECRET) to change the bucket configuration',
      },
    ]);
  }
  const endpoint = serviceEndpoint({ ...config.oss, internal: false });
  const client = await aliOss({
    endpoint: `${endpoint.protocol}//${endpoint.host}`,
    sldEnable: endpoint.style === 'path',
    region: `oss-${config.oss.region}`,
    accessKeyId: credentials.accessKeyId,
    accessKeySecret: credentials.accessKeySecret,
    ...(credentials.securityToken && { stsToken: credentials.securityToken }),
    authorizationV4: config.oss.signatureVersion === 'v4',
  });
  return {
    bucket: config.oss.bucket,
    client,
    root: config.oss.rootDirectory,
    defaultOrigins: [],
    description: `bucket ${config.oss.bucket} in ${config.oss.region}`,
  };
}

function positiveInt(name: string, raw: string | undefined, fallback: number, allowZero = false): number {
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || (!allowZero && n === 0))
    throw new Error(
      `${name} must be a whole number of days${allowZero ? ' (0 turns it off)' : ' above 0'}, got "${raw}"`,
    );
  return n;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      local: { type: 'boolean', default: false },
      'dry-run': { type: 'boolean', default: false },
      origins: { type: 'string' },
      'abort-multipart-days': { type: 'string' },
      'logs-expire-days': { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log(
      'Usage: npm run setup-bucket -- [--local] [--dry-run] [--origins https://a.example,https://b.example] [--abort-multipart-days 7] [--logs-expire-days 30]',
    );
    return;
  }
  const useLocal = values.local || !process.env.OSS_BUCKET;
  const target = useLocal ? await localTarget() : await cloudTarget();
  const originsRaw = values.origins ?? process.env.BUCKET_CORS_ORIGINS;
  const corsOrigins = originsRaw
    ? originsRaw
        .split(',')
        .map((o) => o.trim())
        .filter(Boolean)
    : target.defaultOrigins;
  const options = {
    corsOrigins,
    abortMultipartAfterDays: positiveInt(
      '--abort-multipart-days',
      values['abort-multipart-days'] ?? process.env.UPLOAD_ABORT_AFTER_DAYS,
      7,
    ),
    logsExpireAfterDays: positiveInt(
      '--logs-expire-days',
      values['logs-expire-days'] ?? process.env.LOGS_EXPIRE_AFTER_DAYS,
      30,
      true,
    ),
    root: normalizeRootDirectory(target.root),
  };
  console.log(`Setting up ${target.description}${values['dry-run'] ? ' (dry run: nothing is written)' : ''}`);
  if (corsOrigins.length === 0)
    console.log(
      '  note: no CORS origins given (--origins or BUCKET_CORS_ORIGINS); browsers cannot upload directly until one is allowed',
    );
  const plan = await applyBucketSetup(target.client, target.bucket, options, values['dry-run']);
  for (const line of plan.changes) console.log(`  ${values['dry-run'] ? 'would change' : 'changed'}: ${line}`);
  for (const line of plan.unchanged) console.log(`  already right: ${line}`);
  if (plan.changes.length === 0) console.log('  nothing to change');
}

main().catch((error: unknown) => {
  const e = error as { code?: string; status?: number; message?: string };
  if (e.code === 'ECONNREFUSED' || /ECONNREFUSED/.test(e.message ?? '')) {
    console.error(
      'Cannot reach the OSS server. For the local bucket, start the stack first (npm start) or the server alone (npm run oss-server).',
    );
  } else {
    console.error(error instanceof Error ? error.message : String(error));
  }
  process.exit(1);
});
