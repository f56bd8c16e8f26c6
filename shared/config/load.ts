import { PackError } from '../errors';
import { normalizeRootDirectory } from '../layout/bucket-layout';
import { MAX_MULTIPART_OBJECT_BYTES, MAX_PART_SIZE, MAX_PRESIGN_SECONDS, MIN_PART_SIZE } from '../storage/limits';
import { parseApiTokens } from './api-tokens';
import { readCatalogConfig } from './catalog';
import { readCredentials } from './credentials';
import { type ConfigProblem, type Env, EnvReader } from './env-reader';
import { parseBucket, parseEndpoint, parseExtensions, parseOrigins, parseRegion } from './fields';
import { parseBoolean, parseByteSize, parseChoice, parseDuration, parseInteger } from './parse';
import { DEFAULT_PRICES, parsePrices, parseStatePrefixes } from './prune-fields';
import type { Config, Endpoint, LogsConfig, PresignConfig, PruneConfig } from './types';

/** Thrown once at cold start when any variable is bad; `problems` lists every one. */
export class ConfigError extends PackError {
  constructor(readonly problems: readonly ConfigProblem[]) {
    super(
      'CONFIG_INVALID',
      `Invalid configuration (${problems.length} ${problems.length === 1 ? 'problem' : 'problems'}):\n` +
        problems.map((p) => `  - ${p.variable} ${p.reason}`).join('\n'),
    );
  }
}

/** Upload extensions allowed when `UPLOAD_EXTENSIONS` is unset. */
export const DEFAULT_EXTENSIONS = ['.jar', '.py', '.zip', '.whl', '.egg', '.tar.gz', '.tgz'] as const;
/** Largest upload the API signs when `MAX_UPLOAD_BYTES` is unset. */
export const DEFAULT_MAX_UPLOAD_BYTES = 5 * 1024 ** 3;
/** Multipart part size when `OSS_CHUNK_SIZE` is unset. */
export const DEFAULT_CHUNK_SIZE = 10 * 1024 ** 2;

/**
 * Reads and validates every variable of the pack. Throws one `ConfigError` listing all bad variables;
 * the returned object is deeply frozen.
 */
export function loadConfig(env: Env = process.env): Config {
  const r = new EnvReader(env);

  const bucket = r.required('OSS_BUCKET', parseBucket, 'the name of the workspace bucket');
  const region = r.required('OSS_REGION', parseRegion, 'the bucket region, such as cn-hangzhou');
  const secure = r.optional('OSS_SECURE', parseBoolean, true);
  const endpoint = r.optional<Endpoint | undefined>('OSS_ENDPOINT', (v) => parseEndpoint(v, secure), undefined);
  // FC sets FC_REGION; inside the bucket's region the internal endpoint is free and faster.
  const sameRegion = region !== undefined && r.raw('FC_REGION') === region;
  const internal = r.optional('OSS_INTERNAL', parseBoolean, sameRegion && endpoint === undefined);
  const publicEndpoint = r.optional<Endpoint | undefined>(
    'OSS_PUBLIC_ENDPOINT',
    (v) => parseEndpoint(v, secure),
    undefined,
  );
  const accelerate = r.optional('OSS_ACCELERATE', parseBoolean, false);
  const pathStyle = r.optional('OSS_PATH_STYLE', parseBoolean, false);
  const rootDirectory = r.optional('OSS_ROOT_DIRECTORY', normalizeRootDirectory, '');
  const algorithm = r.optional<'AES256' | 'KMS' | undefined>(
    'OSS_ENCRYPT',
    (v) => parseChoice(v, ['AES256', 'KMS'] as const),
    undefined,
  );
  const kmsKeyId = r.raw('OSS_KMS_KEY_ID');
  if (kmsKeyId !== undefined && algorithm !== 'KMS') r.problem('OSS_KMS_KEY_ID', 'is set but OSS_ENCRYPT is not KMS');
  const chunkSize = r.optional(
    'OSS_CHUNK_SIZE',
    (v) => parseByteSize(v, { min: MIN_PART_SIZE, max: MAX_PART_SIZE }),
    DEFAULT_CHUNK_SIZE,
  );
  const signatureVersion = r.optional('OSS_SIGNATURE_VERSION', (v) => parseChoice(v, ['v4', 'v1'] as const), 'v4');

  const envCredentials = readCredentials(r);
  const tokens = r.optional('API_TOKENS', parseApiTokens, []);

  const presign = readPresign(r);

  const catalog = readCatalogConfig(r);
  const day = 86_400_000;
  const prune: PruneConfig = {
    dryRun: r.optional('PRUNE_DRY_RUN', parseBoolean, true),
    keepCheckpoints: r.optional('PRUNE_KEEP_CHECKPOINTS', (v) => parseInteger(v, { min: 1, max: 1000 }), 3),
    inactiveAfterMs: r.optional('PRUNE_INACTIVE_AFTER', (v) => parseDuration(v, { min: 3_600_000 }), 7 * day),
    incompleteGraceMs: r.optional('PRUNE_INCOMPLETE_GRACE', (v) => parseDuration(v, { min: 60_000 }), 3_600_000),
    sharedMinAgeMs: r.optional('PRUNE_SHARED_MIN_AGE', (v) => parseDuration(v, { min: 3_600_000 }), day),
    savepointsMaxCount: r.optional('PRUNE_SAVEPOINTS_MAX_COUNT', (v) => parseInteger(v, { min: 1, max: 10_000 }), 10),
    savepointsMaxAgeMs: r.optional('PRUNE_SAVEPOINTS_MAX_AGE', (v) => parseDuration(v, { min: 3_600_000 }), 30 * day),
    extraPrefixes: r.optional('PRUNE_EXTRA_PREFIXES', parseStatePrefixes, []),
    pricePerGbMonth: r.optional('PRUNE_PRICE_PER_GB_MONTH', parsePrices, DEFAULT_PRICES),
    timeBudgetMs: r.optional('PRUNE_TIME_BUDGET', (v) => parseDuration(v, { min: 10_000, max: 86_400_000 }), 600_000),
    fanoutDeployments: r.optional('PRUNE_FANOUT_DEPLOYMENTS', (v) => parseInteger(v, { min: 0, max: 1_000_000 }), 500),
    concurrency: r.optional('PRUNE_CONCURRENCY', (v) => parseInteger(v, { min: 1, max: 64 }), 8),
  };

  const logs = readLogs(r);

  if (r.problems.length > 0 || bucket === undefined || region === undefined) throw new ConfigError(r.problems);

  return deepFreeze({
    oss: {
      bucket,
      region,
      endpoint,
      internal,
      publicEndpoint,
      accelerate,
      secure,
      pathStyle,
      rootDirectory,
      encryption:
        algorithm === undefined ? undefined : kmsKeyId === undefined ? { algorithm } : { algorithm, kmsKeyId },
      chunkSize,
      signatureVersion,
    },
    envCredentials,
    api: { tokens },
    presign,
    catalog,
    prune,
    logs,
  });
}

function readPresign(r: EnvReader): PresignConfig {
  const seconds = (min: number) => (v: string) =>
    Math.round(parseDuration(v, { min: min * 1000, max: MAX_PRESIGN_SECONDS * 1000 }) / 1000);
  const maxExpiresSeconds = r.optional('PRESIGN_MAX_EXPIRES', seconds(60), 3600);
  const defaultExpiresSeconds = r.optional('PRESIGN_EXPIRES', seconds(1), Math.min(900, maxExpiresSeconds));
  if (defaultExpiresSeconds > maxExpiresSeconds)
    r.problem('PRESIGN_EXPIRES', `is longer than PRESIGN_MAX_EXPIRES (${maxExpiresSeconds}s)`);
  return {
    defaultExpiresSeconds,
    maxExpiresSeconds,
    maxUploadBytes: r.optional(
      'MAX_UPLOAD_BYTES',
      (v) => parseByteSize(v, { min: 1, max: MAX_MULTIPART_OBJECT_BYTES }),
      DEFAULT_MAX_UPLOAD_BYTES,
    ),
    allowedExtensions: r.optional('UPLOAD_EXTENSIONS', parseExtensions, [...DEFAULT_EXTENSIONS]),
    corsOrigins: r.optional('API_CORS_ORIGINS', parseOrigins, []),
  };
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

/** FC refuses request bodies over 32 MB (docs/fc-runtime.md §7). */
export const MAX_LOG_BATCH_BYTES = 32 * 1024 ** 2;

function readLogs(r: EnvReader): LogsConfig {
  const mib = 1024 ** 2;
  return {
    maxBatchBytes: r.optional(
      'LOGS_MAX_BATCH_BYTES',
      (v) => parseByteSize(v, { min: 1024, max: MAX_LOG_BATCH_BYTES }),
      16 * mib,
    ),
    compactTargetBytes: r.optional(
      'LOGS_COMPACT_TARGET',
      (v) => parseByteSize(v, { min: mib, max: 1024 * mib }),
      64 * mib,
    ),
    compactSettleMs: r.optional('LOGS_COMPACT_SETTLE', (v) => parseDuration(v, { min: 0, max: 86_400_000 }), 900_000),
    compactLookbackMs: r.optional(
      'LOGS_COMPACT_LOOKBACK',
      (v) => parseDuration(v, { min: 3_600_000, max: 90 * 86_400_000 }),
      3 * 86_400_000,
    ),
    auditTrail: r.optional('AUDIT_TRAIL', parseBoolean, true),
    intakeThreads: r.optional('LOGS_INTAKE_THREADS', (v) => parseInteger(v, { min: 1, max: 16 }), 1),
  };
}
